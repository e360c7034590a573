// The pre-tokenizers of GGUF byte-level BPE vocabularies: the text is cut
// into words before BPE merges within each word. "llama-bpe" (Llama 3) and
// "qwen2" split by the regexes
//   (?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}
//   | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
// (qwen2: \p{N} alone instead of \p{N}{1,3}), scanned by hand as llama.cpp's
// unicode.cpp (unicode_regex_split_custom_llama3 / _qwen2) does, quirks
// included, so the words are the ones llama.cpp feeds its BPE; invalid UTF-8
// bytes become U+FFFD as there. Categories (\p{L}, \p{N}), \s (White_Space)
// and lower-casing come from ICU (llama.cpp ships its own tables from
// UnicodeData.txt: code points assigned after ICU's Unicode version may be
// classed differently).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cacheopt {

enum class PreTokenizerKind : int8_t { kLlama3, kQwen2 };

// The words as code points; their concatenation is DecodeUtf8Lenient(text).
std::vector<std::vector<uint32_t>> PreTokenize(std::string_view text, PreTokenizerKind kind);

// UTF-8 -> code points as llama.cpp's unicode_cpts_from_utf8: a byte that
// does not start a complete sequence becomes U+FFFD and decoding resumes at
// the next byte; overlong forms are accepted as llama.cpp accepts them;
// values past U+10FFFF become U+FFFD.
std::vector<uint32_t> DecodeUtf8Lenient(std::string_view text);

// One code point as UTF-8 (cp <= U+10FFFF).
void AppendUtf8(uint32_t cp, std::string* out);

}  // namespace cacheopt
