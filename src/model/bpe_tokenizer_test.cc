#include "model/bpe_tokenizer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "model/random_bpe_vocab.h"
#include "model/tokenizer.h"
#include "model/weight_rng.h"

namespace cacheopt {
namespace {

std::string Enc(const std::string& utf8) {
  std::string out;
  for (char ch : utf8) AppendUtf8(ByteToUnicode(static_cast<uint8_t>(ch)), &out);
  return out;
}

// Ids 0..255: the byte tokens in byte order (id == byte value), then:
enum : int32_t { kHe = 256, kLl, kHell, kHello, kWorld, k12, k123, kEot, kUser, kBos, kXyMissing };

Vocabulary HandVocab(const std::string& pre) {
  Vocabulary v;
  v.kind = Vocabulary::Kind::kByteBpe;
  v.pre_tokenizer = pre;
  v.add_bos = pre == "llama-bpe";
  for (int b = 0; b < 256; ++b) v.pieces.push_back(Enc(std::string(1, static_cast<char>(b))));
  for (const char* p : {"he", "ll", "hell", "hello", "\xC4\xA0world", "12", "123", "<|eot|>", "<u>", "<|bos|>"})
    v.pieces.push_back(p);
  v.pieces.push_back("[EMPTY_266]");  // a placeholder, so "xy" (merged below) is no token
  v.token_types.assign(v.pieces.size(), kTokenNormal);
  v.token_types[kEot] = kTokenControl;
  v.token_types[kBos] = kTokenControl;
  v.token_types[kUser] = kTokenUserDefined;
  v.merges = {"h e", "l l", "he ll", "hell o", "1 2", "12 3", "x y"};
  v.scores.assign(v.pieces.size(), 0.0f);
  return v;
}

std::vector<int32_t> Bytes(const std::string& s) {
  std::vector<int32_t> out;
  for (char c : s) out.push_back(static_cast<unsigned char>(c));
  return out;
}

using Ids = std::vector<int32_t>;

TEST(BpeTokenizerTest, MergesApplyByRank) {
  const Vocabulary v = HandVocab("qwen2");
  const BpeTokenizer t(v, kBos, kEot);
  EXPECT_EQ(t.Encode("hello", false, false, false), (Ids{kHello}));  // he, ll, hell, hello
  EXPECT_EQ(t.Encode("lll", false, false, false), (Ids{kLl, 'l'}));    // the leftmost of equal ranks
  EXPECT_EQ(t.Encode("help", false, false, false), (Ids{kHe, 'l', 'p'}));
  // "x y" merges, but "xy" is no token: its bytes instead.
  EXPECT_EQ(t.Encode("xy", false, false, false), (Ids{'x', 'y'}));
}

TEST(BpeTokenizerTest, Llama3TakesWholeWordsThatAreTokens) {
  // " world" has no merges leading to it: llama-bpe (ignore_merges) still
  // finds it as a whole word; qwen2 spells it in bytes.
  EXPECT_EQ(BpeTokenizer(HandVocab("llama-bpe"), kBos, kEot).Encode(" world", false, false, false), (Ids{kWorld}));
  EXPECT_EQ(BpeTokenizer(HandVocab("qwen2"), kBos, kEot).Encode(" world", false, false, false), Bytes(" world"));
}

TEST(BpeTokenizerTest, DigitsFollowEachPreTokenizer) {
  EXPECT_EQ(BpeTokenizer(HandVocab("llama-bpe"), kBos, kEot).Encode("12345", false, false, false),
            (Ids{k123, '4', '5'}));
  EXPECT_EQ(BpeTokenizer(HandVocab("qwen2"), kBos, kEot).Encode("12345", false, false, false), Bytes("12345"));
}

TEST(BpeTokenizerTest, SpecialTokensInTheText) {
  const Vocabulary v = HandVocab("llama-bpe");
  const BpeTokenizer t(v, kBos, kEot);
  EXPECT_EQ(t.Encode("hello<|eot|>", false, false, true), (Ids{kHello, kEot}));
  // Without parse_special a control token is text; a user-defined one is
  // always a token.
  Ids plain = {kHello};
  for (int32_t b : Bytes("<|eot|>")) plain.push_back(b);
  EXPECT_EQ(t.Encode("hello<|eot|>", false, false, false), plain);
  EXPECT_EQ(t.Encode("a<u>b", false, false, false), (Ids{'a', kUser, 'b'}));
  EXPECT_EQ(t.Encode("<u><u>", false, false, false), (Ids{kUser, kUser}));
}

TEST(BpeTokenizerTest, BosOnlyWhenTheVocabularyAddsOne) {
  EXPECT_EQ(BpeTokenizer(HandVocab("llama-bpe"), kBos, kEot).Encode("hello", true, true, false),
            (Ids{kBos, kHello, kEot}));
  EXPECT_EQ(BpeTokenizer(HandVocab("qwen2"), kBos, kEot).Encode("hello", true, false, false), (Ids{kHello}));
  EXPECT_EQ(BpeTokenizer(HandVocab("llama-bpe"), kBos, kEot).Encode("", true, false, false), (Ids{kBos}));
}

TEST(BpeTokenizerTest, DecodeMapsTheAlphabetBack) {
  const Vocabulary v = HandVocab("llama-bpe");
  const BpeTokenizer t(v, kBos, kEot);
  EXPECT_EQ(t.DecodePiece(kWorld), " world");
  EXPECT_EQ(t.DecodePiece('\n'), "\n");
  EXPECT_EQ(t.DecodePiece(0xC3), "\xC3");
  EXPECT_EQ(t.DecodePiece(kUser), "<u>");
  EXPECT_EQ(t.DecodePiece(kEot), "");
  EXPECT_EQ(t.DecodePiece(-1), "");
  EXPECT_EQ(t.DecodePiece(100000), "");
}

TEST(BpeTokenizerTest, ByteAlphabetIsGpt2s) {
  EXPECT_EQ(ByteToUnicode('A'), uint32_t{'A'});
  EXPECT_EQ(ByteToUnicode(' '), 0x120u);   // Ġ
  EXPECT_EQ(ByteToUnicode('\n'), 0x10Au);  // Ċ
  EXPECT_EQ(ByteToUnicode(0xAD), 0x143u);  // the last of the 68 remapped bytes
  EXPECT_EQ(ByteToUnicode(0xE9), 0xE9u);
}

// Generated vocabularies: every valid UTF-8 text comes back from its tokens,
// for both pre-tokenizers, and the merges are used.
TEST(BpeTokenizerTest, GeneratedVocabularyRoundTrips) {
  for (const char* pre : {"llama-bpe", "qwen2"}) {
    BpeVocabSpec spec;
    spec.vocab_size = 2000;
    spec.pre_tokenizer = pre;
    spec.control = {"<|begin_of_text|>", "<|eot_id|>"};
    spec.user_defined = {"<think>"};
    auto v = MakeRandomBpeVocabulary(spec);
    ASSERT_TRUE(v.ok()) << v.status().message();
    ASSERT_EQ(v->pieces.size(), 2000u);
    Tokenizer tok(*v, 1998, 1999);  // <|begin_of_text|>, <|eot_id|> (after <think>)
    ASSERT_TRUE(tok.is_byte_bpe());
    const std::string texts[] = {
        "Once upon a time, there was a little girl named Lily.",
        "It's 2026: 3.14159 and 1,000,000!\n\n  def f(x):\n      return x\t\t\r\n",
        "Caf\xC3\xA9 \xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 \xE4\xBD\xA0\xE5\xA5\xBD \xF0\x9F\x98\x80",
        "a <think> b",
    };
    for (const std::string& text : texts) {
      const auto ids = tok.Encode(text, false, false);
      EXPECT_LT(ids.size(), text.size()) << pre << ": merges shorten '" << text << "'";
      EXPECT_EQ(tok.Decode(ids), text) << pre;
    }
    // Pseudo-random byte strings that are valid UTF-8 (ASCII + 2-byte).
    WeightRng rng(7);
    for (int i = 0; i < 200; ++i) {
      std::string s;
      const int n = static_cast<int>(rng.Below(40));
      for (int j = 0; j < n; ++j) {
        const uint64_t r = rng.Below(10);
        if (r < 7) s.push_back(static_cast<char>(0x20 + rng.Below(95)));
        else if (r < 8) s.push_back("\n\t\r "[rng.Below(4)]);
        else AppendUtf8(static_cast<uint32_t>(0xA0 + rng.Below(0x700)), &s);
      }
      EXPECT_EQ(tok.Decode(tok.Encode(s, false, false)), s) << pre;
    }
  }
}

TEST(BpeTokenizerTest, GeneratedVocabularyIsDeterministicAndChecksItsSize) {
  BpeVocabSpec spec;
  spec.vocab_size = 600;
  spec.pre_tokenizer = "qwen2";
  auto a = MakeRandomBpeVocabulary(spec);
  auto b = MakeRandomBpeVocabulary(spec);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->pieces, b->pieces);
  EXPECT_EQ(a->merges, b->merges);
  spec.vocab_size = 200;
  EXPECT_FALSE(MakeRandomBpeVocabulary(spec).ok());
  spec.vocab_size = 600;
  spec.pre_tokenizer = "gpt2";
  EXPECT_FALSE(MakeRandomBpeVocabulary(spec).ok());
}

}  // namespace
}  // namespace cacheopt
