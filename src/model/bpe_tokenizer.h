// GGUF's byte-level BPE (tokenizer.ggml.model = "gpt2": Llama 3, Qwen2), as
// llama.cpp's llama-vocab.cpp tokenizes it:
//  1. special tokens written in the text become tokens first (the longest
//     first): user-defined tokens always, control and unknown ones only
//     with parse_special (tokenizer_st_partition);
//  2. each remaining piece is cut into words by the pre-tokenizer
//     (bpe_pretokenizer.h) and each word's bytes mapped to GPT-2's
//     byte-to-unicode alphabet;
//  3. with "llama-bpe" a word that is a token is that token (ignore_merges);
//     otherwise the adjacent pair with the lowest merge rank merges first
//     (leftmost on ties) until no pair is a merge; a result that is not a
//     token falls back to single-byte tokens, dropped when absent.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/bpe_pretokenizer.h"
#include "model/model.h"

namespace cacheopt {

// GGUF token types (llama.cpp's llama_token_type).
enum GgufTokenType : int32_t {
  kTokenNormal = 1,
  kTokenUnknown = 2,
  kTokenControl = 3,
  kTokenUserDefined = 4,
  kTokenUnused = 5,
  kTokenByte = 6,
};

// GPT-2's bytes_to_unicode: the code point byte b is written as in pieces.
uint32_t ByteToUnicode(uint8_t b);

class BpeTokenizer {
 public:
  // vocab.kind must be kByteBpe and vocab.pre_tokenizer "llama-bpe" or
  // "qwen2" (the loader checks both).
  BpeTokenizer(const Vocabulary& vocab, int32_t bos_id, int32_t eos_id);

  // add_bos: BOS first if the vocabulary adds one (vocab.add_bos), as
  // llama.cpp's add_special; eos: EOS last.
  std::vector<int32_t> Encode(std::string_view text, bool add_bos, bool eos, bool parse_special) const;

  // A normal token's bytes (the alphabet mapped back), a user-defined
  // token's text, "" for control and other tokens and ids out of range.
  std::string DecodePiece(int32_t token) const;

 private:
  void EncodeText(std::string_view text, std::vector<int32_t>* out) const;
  void EncodeWord(const std::string& word, std::vector<int32_t>* out) const;
  int32_t Find(const std::string& piece) const;
  int32_t Type(int32_t id) const;

  const Vocabulary& vocab_;
  int32_t bos_id_, eos_id_;
  PreTokenizerKind pre_;
  bool ignore_merges_;
  std::unordered_map<std::string, int32_t> ids_;    // the last id of a duplicated piece, as llama.cpp
  std::unordered_map<std::string, int32_t> ranks_;  // first + '\0' + second -> rank (the first kept)
  std::vector<int32_t> specials_;                   // by text length, longest first
  std::unordered_map<uint32_t, uint8_t> unicode_to_byte_;
};

}  // namespace cacheopt
