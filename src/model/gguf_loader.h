// Loads a llama-architecture GGUF (v2/v3, F32 or F16 tensors) into a Model,
// vocabulary included. GGUF llama files keep Q/K in Meta's layout (converters
// permute HF checkpoints back), so the executor's adjacent-pair RoPE applies,
// as it does for the stories260K conversion.
#pragma once

#include <cstdint>
#include <string>

#include "cacheopt/status.h"
#include "model/model.h"

namespace cacheopt {

// context_override > 0 replaces llama.context_length as config.context
// (file_context keeps the file's value); 0 keeps it; negative is an error.
//
// Vocabulary: tokenizer.ggml.model must be "llama" (SentencePiece). Pieces
// are put in llama2.c's convention, as its tokenizer exporter does: U+2581
// becomes ' ', and the BOS/EOS pieces become "\n<s>\n" / "\n</s>\n", so a
// GGUF and its llama2.c export yield identical vocabularies.
//
// Stop ids are {bos, eos} (sorted, deduplicated): llama models end on EOS,
// and models converted from llama2.c (e.g. stories260K) end on BOS, which
// the file cannot tell apart.
//
// output.weight absent means the classifier is shared: wcls is a copy of
// token_embd.weight. Every tensor's shape is checked against the config.
Result<Model> LoadGguf(const std::string& path, int32_t context_override);

}  // namespace cacheopt
