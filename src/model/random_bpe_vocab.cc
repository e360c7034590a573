#include "model/random_bpe_vocab.h"

#include <algorithm>
#include <map>
#include <unordered_set>

#include "model/bpe_pretokenizer.h"
#include "model/bpe_tokenizer.h"
#include "model/weight_rng.h"

namespace cacheopt {
namespace {

// The training text: what the tokenizer tests and the llama.cpp comparison
// throw at it, so its merges include words with a leading space, digit
// groups, newline runs, indentation and multi-byte characters.
constexpr const char* kCorpus =
    "Once upon a time, there was a little girl named Lily. She didn't like the rain, but she'd always "
    "loved the sound of it. \"I'm going outside,\" she said. They're here; we'll see. You've won! "
    "THE END. It's 2026 and the year 1999 was 27 years ago: 3.14159, 2.71828, 1,000,000 and 42.\n\n"
    "def main(argv):\n    for i in range(10):\n        print(i * 2)\n    return 0\n\n"
    "int main(int argc, char** argv) {\n  for (int i = 0; i < n; ++i) {\n    sum += a[i];\n  }\n}\n"
    "\t\tTabs and    spaces   everywhere.\r\nWindows lines\r\n and   trailing spaces   \n"
    "Caf\xC3\xA9 na\xC3\xAFve r\xC3\xA9sum\xC3\xA9 \xC3\xBC\x62\x65r stra\xC3\x9F\x65. "
    "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 \xD0\xBC\xD0\xB8\xD1\x80! "          // Привет мир
    "\xCE\x93\xCE\xB5\xCE\xB9\xCE\xB1 \xCF\x83\xCE\xBF\xCF\x85 \xCE\xBA\xCF\x8C\xCF\x83\xCE\xBC\xCE\xB5. "  // Γεια σου κόσμε
    "\xE4\xBD\xA0\xE5\xA5\xBD\xE4\xB8\x96\xE7\x95\x8C\xE3\x80\x82 "                          // 你好世界。
    "\xE3\x81\x93\xE3\x82\x93\xE3\x81\xAB\xE3\x81\xA1\xE3\x81\xAF "                          // こんにちは
    "\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7 \xF0\x9F\x98\x80\xF0\x9F\x8E\x89 "              // مرحبا 😀🎉
    "the the the and and of of to to in in is is that that it it was was for for on on with with "
    "12 123 1234 12345 007 0.5 100% $19.99 #1 @user e-mail: a@b.c https://example.com/path?q=1&r=2 "
    "    indented\n        more\n\n\n   \n";

std::string Encoded(const std::string& utf8) {
  std::string out;
  for (char ch : utf8) AppendUtf8(ByteToUnicode(static_cast<uint8_t>(ch)), &out);
  return out;
}

// Splits a byte-encoded word into its UTF-8 characters.
std::vector<std::string> Characters(const std::string& w) {
  std::vector<std::string> out;
  for (size_t i = 0; i < w.size();) {
    const auto b = static_cast<unsigned char>(w[i]);
    const size_t len = std::min(w.size() - i, size_t{b < 0x80 ? 1u : b < 0xE0 ? 2u : b < 0xF0 ? 3u : 4u});
    out.push_back(w.substr(i, len));
    i += len;
  }
  return out;
}

}  // namespace

Result<Vocabulary> MakeRandomBpeVocabulary(const BpeVocabSpec& spec) {
  const auto n_special = static_cast<int32_t>(spec.control.size() + spec.user_defined.size());
  if (spec.vocab_size < 256 + n_special)
    return Status::InvalidArgument("a byte-level BPE vocabulary of " + std::to_string(spec.vocab_size) +
                                   " tokens cannot hold 256 bytes and " + std::to_string(n_special) + " special tokens");
  if (spec.pre_tokenizer != "llama-bpe" && spec.pre_tokenizer != "qwen2")
    return Status::InvalidArgument("unknown pre-tokenizer '" + spec.pre_tokenizer + "'; valid: llama-bpe, qwen2");
  Vocabulary v;
  v.kind = Vocabulary::Kind::kByteBpe;
  v.pre_tokenizer = spec.pre_tokenizer;
  v.add_bos = spec.add_bos;
  std::unordered_set<std::string> have;
  auto add = [&](std::string piece, int32_t type) {
    have.insert(piece);
    v.pieces.push_back(std::move(piece));
    v.token_types.push_back(type);
  };
  for (int b = 0; b < 256; ++b) add(Encoded(std::string(1, static_cast<char>(b))), kTokenNormal);
  const int32_t normal_end = spec.vocab_size - n_special;

  // BPE training: words (as symbol lists) with their counts; merge the most
  // frequent pair (ties: the smallest pair) while it occurs twice.
  const PreTokenizerKind kind = spec.pre_tokenizer == "qwen2" ? PreTokenizerKind::kQwen2 : PreTokenizerKind::kLlama3;
  std::map<std::string, int> word_counts;
  for (const auto& cps : PreTokenize(kCorpus, kind)) {
    std::string utf8;
    for (uint32_t cp : cps) AppendUtf8(cp, &utf8);
    ++word_counts[Encoded(utf8)];
  }
  std::vector<std::pair<std::vector<std::string>, int>> words;
  for (const auto& [w, n] : word_counts) words.emplace_back(Characters(w), n);
  while (static_cast<int32_t>(v.pieces.size()) < normal_end) {
    std::map<std::pair<std::string, std::string>, int> pairs;
    for (const auto& [syms, n] : words)
      for (size_t i = 0; i + 1 < syms.size(); ++i) pairs[{syms[i], syms[i + 1]}] += n;
    const std::pair<std::string, std::string>* best = nullptr;
    int best_n = 1;
    for (const auto& [p, n] : pairs) {
      if (n > best_n) {
        best = &p;
        best_n = n;
      }
    }
    if (best == nullptr) break;
    const std::string a = best->first, b = best->second;
    v.merges.push_back(a + " " + b);
    if (!have.count(a + b)) add(a + b, kTokenNormal);
    for (auto& [syms, n] : words) {
      std::vector<std::string> merged;
      for (size_t i = 0; i < syms.size(); ++i) {
        if (i + 1 < syms.size() && syms[i] == a && syms[i + 1] == b) {
          merged.push_back(a + b);
          ++i;
        } else {
          merged.push_back(syms[i]);
        }
      }
      syms = std::move(merged);
    }
  }
  // Random merges of existing tokens up to the size (pieces up to 16 bytes).
  WeightRng rng(0x627065766f636162ull ^ static_cast<uint64_t>(spec.vocab_size));
  for (int tries = 0; static_cast<int32_t>(v.pieces.size()) < normal_end && tries < 64 * spec.vocab_size; ++tries) {
    const size_t n = v.pieces.size();
    const std::string& a = v.pieces[rng.Below(n)];
    const std::string& b = v.pieces[rng.Below(n)];
    if (a.size() + b.size() > 16 || have.count(a + b)) continue;
    v.merges.push_back(a + " " + b);
    add(a + b, kTokenNormal);
  }
  if (static_cast<int32_t>(v.pieces.size()) < normal_end)
    return Status::InvalidArgument("could not generate " + std::to_string(normal_end) + " BPE tokens");
  for (const std::string& s : spec.user_defined) add(s, kTokenUserDefined);
  for (const std::string& s : spec.control) add(s, kTokenControl);
  v.scores.assign(v.pieces.size(), 0.0f);
  v.max_token_length = 0;
  for (const std::string& p : v.pieces) v.max_token_length = std::max(v.max_token_length, static_cast<int32_t>(p.size()));
  return v;
}

std::vector<int32_t> ByteBpeStopIds(const Vocabulary& v, int32_t eos_id) {
  std::vector<int32_t> ids = {eos_id};
  for (int32_t id = 0; id < static_cast<int32_t>(v.pieces.size()); ++id) {
    const std::string& p = v.pieces[id];
    if (p == "<|eot_id|>" || p == "<|im_end|>" || p == "<|eom_id|>" || p == "<|endoftext|>" || p == "<|end_of_text|>")
      ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

}  // namespace cacheopt
