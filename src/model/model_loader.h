// One entry point for model files: GGUF or llama2.c checkpoint, chosen by the
// file's first bytes rather than its name.
#pragma once

#include <cstdint>
#include <string>

#include "cacheopt/status.h"
#include "model/model.h"

namespace cacheopt {

// "GGUF" magic -> LoadGguf (the vocabulary is inside; a tokenizer_path is
// then an error). Anything else -> LoadLlama2c. For a llama2.c checkpoint
// with an empty tokenizer_path, the tokenizer is FindLlama2cTokenizer's.
// context_override: see LoadGguf / LoadLlama2c (0 = the file's context).
Result<Model> LoadModel(const std::string& path, const std::string& tokenizer_path, int32_t context_override);

// The tokenizer beside a llama2.c checkpoint: `tok<vocab_size>.bin` in the
// same folder (llama2.c's name for custom vocabularies, e.g. tok512.bin),
// else `tokenizer.bin` there (its default, the Llama 2 vocabulary). Neither
// present: NotFound naming both paths and the --tokenizer flag.
Result<std::string> FindLlama2cTokenizer(const std::string& checkpoint_path);

// The context a known model was trained with when its file declares more
// (llama.cpp's llama2.c converter writes 2048 for every stories model), so
// callers can pass it as context_override; 0 when unknown (trust the file).
// Matched on the file name: stories260K -> 512, stories15M -> 256,
// stories42M and stories110M -> 1024 (case-insensitive).
int32_t KnownTrainedContext(const std::string& path);

}  // namespace cacheopt
