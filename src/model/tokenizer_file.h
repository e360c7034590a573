// llama2.c's tokenizer.bin: int32 max_token_length, then for each token a
// float32 score, an int32 byte length and that many bytes (no NUL). The file
// does not store the token count; the model's vocab_size supplies it.
#pragma once

#include <cstdint>
#include <string>

#include "cacheopt/status.h"
#include "model/model.h"

namespace cacheopt {

// Reads exactly vocab_size tokens. Errors (all naming the path): truncation,
// a negative length or one above max_token_length, a non-finite score, and
// bytes left over after vocab_size tokens (the file's vocabulary is larger).
Result<Vocabulary> ReadTokenizerFile(const std::string& path, int32_t vocab_size);

// Writes `v` in the same format; max_token_length is recomputed from the pieces.
Status WriteTokenizerFile(const Vocabulary& v, const std::string& path);

// The longest piece in bytes, as llama2.c's exporter computes max_token_length.
int32_t LongestPiece(const Vocabulary& v);

}  // namespace cacheopt
