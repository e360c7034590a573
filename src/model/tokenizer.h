// llama2.c's tokenizer (run.c encode/decode) over a Vocabulary: SentencePiece
// style BPE where the adjacent pair whose merge has the highest score merges
// first (leftmost on ties), with byte fallback for characters not in the
// vocabulary.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/model.h"

namespace cacheopt {

class BpeTokenizer;

// 0..255 for a byte piece "<0xXX>" (hex digits in either case), else -1.
int BytePieceValue(std::string_view piece);

class Tokenizer {
 public:
  // run.c hard-codes BOS 1 and EOS 2; the ids are parameters here so other
  // vocabularies work too. Duplicate pieces resolve to the lowest id.
  explicit Tokenizer(Vocabulary vocab, int32_t bos_id = 1, int32_t eos_id = 2);
  // Uses the model's vocabulary and special ids.
  explicit Tokenizer(const Model& m);

  // As run.c's encode: optional BOS, a dummy-prefix " " when text is not
  // empty, one token per UTF-8 character (falling back to one byte token per
  // byte), then repeated best-score merges, then optional EOS. The merging
  // uses a heap, O(n log n), with the same result as run.c's O(n^2) scan.
  //
  // A byte-level BPE vocabulary (Vocabulary::Kind::kByteBpe) encodes as
  // llama.cpp does instead (model/bpe_tokenizer.h): BOS only when the
  // vocabulary adds one, special tokens written in the text parsed as
  // tokens when parse_special (user-defined ones always). parse_special is
  // ignored for SentencePiece vocabularies.
  std::vector<int32_t> Encode(std::string_view text, bool bos, bool eos, bool parse_special = false) const;

  // As run.c's decode: the piece, minus a leading space right after BOS, with
  // "<0xXX>" mapped to its raw byte. Out-of-range ids give "". For a BPE
  // vocabulary, BpeTokenizer::DecodePiece (prev is not needed).
  std::string DecodePiece(int32_t prev, int32_t token) const;

  // Concatenated DecodePiece over the ids, each with its predecessor as prev.
  // BOS and EOS print nothing (run.c never prints them: BOS is the prompt's
  // first token and generation stops on it), so for any text
  // Decode(Encode(text, true, true)) == text.
  std::string Decode(const std::vector<int32_t>& ids) const;

  // The id of an exact piece, or -1.
  int32_t Lookup(std::string_view piece) const;

  int32_t vocab_size() const { return static_cast<int32_t>(vocab_.pieces.size()); }
  const Vocabulary& vocab() const { return vocab_; }
  int32_t bos_id() const { return bos_id_; }
  int32_t eos_id() const { return eos_id_; }
  bool is_byte_bpe() const { return bpe_ != nullptr; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  // Appends the tokens for one character (or the bytes run.c groups as one).
  void AppendCharacter(std::string_view ch, std::vector<int32_t>* out) const;
  void Merge(std::vector<int32_t>* tokens) const;

  Vocabulary vocab_;
  int32_t bos_id_;
  int32_t eos_id_;
  std::unordered_map<std::string, int32_t, Hash, std::equal_to<>> ids_;
  std::array<int32_t, 256> byte_token_{};  // id of "<0xXX>"; run.c's byte + 3
  std::vector<int16_t> piece_byte_;         // BytePieceValue of each piece
  // Byte-level BPE vocabularies; shared so Tokenizer stays copyable. It
  // reads vocab_ through a pointer to the heap copy below.
  std::shared_ptr<const Vocabulary> bpe_vocab_;
  std::shared_ptr<const BpeTokenizer> bpe_;
};

}  // namespace cacheopt
