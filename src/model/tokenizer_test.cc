#include "model/tokenizer.h"

#include <gtest/gtest.h>

#include "model/gguf_loader.h"
#include "model/model_test_util.h"
#include "model/random_vocab.h"
#include "model/weight_rng.h"
#include "model/tokenizer_file.h"

namespace cacheopt {
namespace {

// run.c's encode, transcribed (O(n^2) merge scan, hard-coded BOS/EOS), as
// the reference the heap-based Encode must match exactly.
std::vector<int32_t> RunCEncode(const Tokenizer& t, const std::string& text, bool bos, bool eos) {
  const Vocabulary& v = t.vocab();
  std::vector<int32_t> tokens;
  if (bos) tokens.push_back(1);
  if (!text.empty()) tokens.push_back(t.Lookup(" "));
  std::string buf;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) buf.clear();
    buf += text[i];
    const unsigned char next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
    if ((next & 0xC0) == 0x80 && buf.size() < 4) continue;
    const int32_t id = t.Lookup(buf);
    if (id != -1) {
      tokens.push_back(id);
    } else {
      for (unsigned char c : buf) tokens.push_back(c + 3);
    }
    buf.clear();
  }
  while (true) {
    float best_score = -1e10f;
    int best_id = -1, best_idx = -1;
    for (size_t i = 0; i + 1 < tokens.size(); ++i) {
      const int32_t id = t.Lookup(v.pieces[tokens[i]] + v.pieces[tokens[i + 1]]);
      if (id != -1 && v.scores[id] > best_score) {
        best_score = v.scores[id];
        best_id = id;
        best_idx = static_cast<int>(i);
      }
    }
    if (best_idx == -1) break;
    tokens[best_idx] = best_id;
    tokens.erase(tokens.begin() + best_idx + 1);
  }
  if (eos) tokens.push_back(2);
  return tokens;
}

struct Golden {
  const char* text;
  std::vector<int32_t> ids;
};

// The README's run.c vectors for stories260K (encode(text, bos=1, eos=0)).
const std::vector<Golden>& StoriesGoldens() {
  static const std::vector<Golden> kGoldens = {
      {"Once upon a time", {1, 403, 407, 261, 378}},
      {"Zoo", {1, 410, 469, 347}},
      {"Lily and Tom", {1, 317, 269, 274, 287}},
      {"The cat sat on the mat.", {1, 291, 280, 294, 262, 294, 353, 265, 284, 294, 426}},
      {"", {1}},
  };
  return kGoldens;
}

void ExpectGoldens(const Tokenizer& t) {
  for (const Golden& g : StoriesGoldens()) {
    EXPECT_EQ(t.Encode(g.text, true, false), g.ids) << "'" << g.text << "'";
    EXPECT_EQ(t.Decode(g.ids), g.text);
  }
}

std::string RandomText(WeightRng& rng, size_t len) {
  static const std::vector<std::string> kAlphabet = {
      "a", "e", "o", "t", "h", "n", "s", " ", " ", "L", "i", "l", "y", ".", ",", "\n", "\"", "\xC3\xA9",
      "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\x80", "\xff", "<0x41>", "<s>", std::string(1, '\0'), "Once upon a time"};
  std::string s;
  while (s.size() < len) s += kAlphabet[rng.Below(kAlphabet.size())];
  return s;
}

TEST(TokenizerTest, GoldenVectorsWithTok512) {
  CACHEOPT_REQUIRE_STORIES(dir);
  auto vocab = ReadTokenizerFile(dir + "/tok512.bin", 512);
  ASSERT_TRUE(vocab.ok()) << vocab.status().message();
  ExpectGoldens(Tokenizer(*vocab));
}

TEST(TokenizerTest, GoldenVectorsWithGgufVocabulary) {
  CACHEOPT_REQUIRE_STORIES(dir);
  auto model = LoadGguf(dir + "/stories260K.gguf", 512);
  ASSERT_TRUE(model.ok()) << model.status().message();
  ExpectGoldens(Tokenizer(*model));
}

TEST(TokenizerTest, DecodesThePublishedStoryOpening) {
  CACHEOPT_REQUIRE_STORIES(dir);
  auto vocab = ReadTokenizerFile(dir + "/tok512.bin", 512);
  ASSERT_TRUE(vocab.ok());
  const Tokenizer t(*vocab);
  // The first greedy ids after BOS from the README.
  const std::vector<int32_t> ids = {1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426};
  EXPECT_EQ(t.Decode(ids), "Once upon a time, there was a little girl named Lily.");
  EXPECT_EQ(t.DecodePiece(1, 403), "Once");
  EXPECT_EQ(t.DecodePiece(403, 407), " upon");
  EXPECT_EQ(t.DecodePiece(426, 13), "\n");  // <0x0A>
}

TEST(TokenizerTest, HeapMergeMatchesRunCScan) {
  CACHEOPT_REQUIRE_STORIES(dir);
  auto vocab = ReadTokenizerFile(dir + "/tok512.bin", 512);
  ASSERT_TRUE(vocab.ok());
  const Tokenizer t(*vocab);
  WeightRng rng(7);
  for (int i = 0; i < 300; ++i) {
    const std::string text = RandomText(rng, rng.Below(80));
    ASSERT_EQ(t.Encode(text, true, i % 2 == 0), RunCEncode(t, text, true, i % 2 == 0)) << i;
  }
}

TEST(TokenizerTest, HeapMergeMatchesRunCScanOnRandomVocabulary) {
  auto vocab = MakeRandomVocabulary(2000);
  ASSERT_TRUE(vocab.ok());
  const Tokenizer t(*vocab);
  WeightRng rng(11);
  for (int i = 0; i < 300; ++i) {
    const std::string text = RandomText(rng, rng.Below(120));
    ASSERT_EQ(t.Encode(text, false, false), RunCEncode(t, text, false, false)) << i;
  }
}

TEST(TokenizerTest, EqualScoresMergeLeftmostFirst) {
  Vocabulary v;
  v.pieces = {"<unk>", "\n<s>\n", "\n</s>\n", " ", "a", "aa"};
  v.scores = {0, 0, 0, 0, 0, -1};
  const Tokenizer t(v);
  // "aaa": pairs (a,a) at 1 and 2 score the same; run.c merges the left one.
  EXPECT_EQ(t.Encode("aaa", false, false), (std::vector<int32_t>{3, 5, 4}));
}

TEST(TokenizerTest, ByteFallbackAndOutOfRangeIds) {
  auto vocab = MakeRandomVocabulary(kRandomVocabFirstMerge);
  ASSERT_TRUE(vocab.ok());
  const Tokenizer t(*vocab);
  // U+00E9 is not a piece: its two bytes become byte tokens (byte + 3).
  EXPECT_EQ(t.Encode("\xC3\xA9", false, false), (std::vector<int32_t>{t.Lookup(" "), 0xC3 + 3, 0xA9 + 3}));
  EXPECT_EQ(t.DecodePiece(-1, 0xC3 + 3), "\xC3");
  EXPECT_EQ(t.DecodePiece(0, -5), "");
  EXPECT_EQ(t.DecodePiece(0, t.vocab_size()), "");
  EXPECT_EQ(t.Decode({1, 999999, -1, 2}), "");
  EXPECT_EQ(BytePieceValue("<0x0a>"), 10);
  EXPECT_EQ(BytePieceValue("<0xFF>"), 255);
  EXPECT_EQ(BytePieceValue("<0xG0>"), -1);
  EXPECT_EQ(BytePieceValue("<0x0A"), -1);
}

TEST(TokenizerTest, RandomVocabularyRoundTripsAnyBytes) {
  auto vocab = MakeRandomVocabulary(4096);
  ASSERT_TRUE(vocab.ok());
  const Tokenizer t(*vocab);
  WeightRng rng(3);
  for (int i = 0; i < 200; ++i) {
    std::string text = RandomText(rng, rng.Below(200));
    if (i % 3 == 0) {
      for (int j = 0; j < 20; ++j) text += static_cast<char>(rng.Below(256));
    }
    EXPECT_EQ(t.Decode(t.Encode(text, true, true)), text) << i;
  }
  // Ordinary English compresses: fewer tokens than bytes.
  const std::string english = "Once upon a time there was a little girl who wanted to play with her friends.";
  EXPECT_LT(t.Encode(english, false, false).size(), english.size() / 2);
}

}  // namespace
}  // namespace cacheopt
