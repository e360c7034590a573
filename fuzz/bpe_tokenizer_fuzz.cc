// Fuzzes the byte-level BPE tokenizer (bpe_tokenizer.cc, bpe_pretokenizer.cc)
// on generated vocabularies. The first byte picks the pre-tokenizer (bit 0:
// llama-bpe or qwen2) and parse_special (bit 1); the rest is the text.
// Checks: every id is inside the vocabulary; the pre-tokenizer's words
// concatenate to the text's code points; for valid UTF-8 without
// parse_special, Decode(Encode(text)) == text (byte-level BPE loses
// nothing; user-defined tokens decode to their own text).
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "model/bpe_pretokenizer.h"
#include "model/random_bpe_vocab.h"
#include "model/tokenizer.h"

namespace {

using namespace cacheopt;

struct Fixture {
  explicit Fixture(const char* pre) : tokenizer(Make(pre), 0, 0) {
    const auto n = static_cast<int32_t>(tokenizer.vocab().pieces.size());
    tokenizer = Tokenizer(tokenizer.vocab(), n - 2, n - 1);  // the two control tokens
  }
  static Vocabulary Make(const char* pre) {
    BpeVocabSpec spec;
    spec.vocab_size = 1000;
    spec.pre_tokenizer = pre;
    spec.user_defined = {"<think>"};
    spec.control = {"<|begin_of_text|>", "<|eot_id|>"};
    return *MakeRandomBpeVocabulary(spec);
  }
  Tokenizer tokenizer;
};

bool ValidUtf8(const std::string& s) {
  std::string again;
  for (uint32_t cp : DecodeUtf8Lenient(s)) AppendUtf8(cp, &again);
  return again == s && s.find("\xEF\xBF\xBD") == std::string::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Fixture llama3("llama-bpe"), qwen2("qwen2");
  if (size == 0) return 0;
  const bool use_qwen2 = (data[0] & 1) != 0, parse_special = (data[0] & 2) != 0;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  const Tokenizer& t = use_qwen2 ? qwen2.tokenizer : llama3.tokenizer;
  const std::vector<int32_t> ids = t.Encode(text, true, false, parse_special);
  for (int32_t id : ids) FUZZ_CHECK(id >= 0 && id < t.vocab_size());

  std::vector<uint32_t> joined;
  for (const auto& w : PreTokenize(text, use_qwen2 ? PreTokenizerKind::kQwen2 : PreTokenizerKind::kLlama3)) {
    FUZZ_CHECK(!w.empty());
    joined.insert(joined.end(), w.begin(), w.end());
  }
  FUZZ_CHECK(joined == DecodeUtf8Lenient(text));

  if (!parse_special && ValidUtf8(text)) FUZZ_CHECK(t.Decode(ids) == text);
  return 0;
}
