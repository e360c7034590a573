// Loads a GGUF (v2/v3, F32 or F16 tensors) into a Model, vocabulary
// included. Architectures (docs/models.md): "llama" (Llama 2, Llama 3,
// Mistral) and "qwen2"; any other is an error naming it. GGUF llama files
// keep Q/K in Meta's layout (converters permute HF checkpoints back), so
// the executor's adjacent-pair RoPE applies; qwen2 files are not permuted
// and rotate (i, i + head_size/2), as llama.cpp's "neox" RoPE.
//
// Read as llama.cpp reads them, <arch> being general.architecture:
// <arch>.attention.head_count_kv (GQA), <arch>.rope.freq_base,
// <arch>.rope.scaling.type none|linear with rope.scaling.factor (yarn and
// longrope are errors), the rope_freqs.weight tensor (Llama 3.1's "llama3"
// scaling, as the converter stores it), optional attn_q/k/v/output biases
// (Qwen2; other biases are errors), <arch>.attention.sliding_window
// (Mistral; llama.cpp itself ignores it for "llama" files), output.weight
// absent = tied to token_embd.weight; attention.key_length other than
// embedding_length / head_count is an error.
#pragma once

#include <cstdint>
#include <string>

#include "cacheopt/status.h"
#include "model/model.h"

namespace cacheopt {

// context_override > 0 replaces llama.context_length as config.context
// (file_context keeps the file's value); 0 keeps it; negative is an error.
//
// Vocabulary: tokenizer.ggml.model "gpt2" is byte-level BPE (Vocabulary::
// Kind::kByteBpe): tokens, merges (required: without them an error), token
// types, tokenizer.ggml.pre (llama-bpe/llama3/llama-v3 or
// qwen2/deepseek-r1-qwen; others are errors), add_bos_token (default true
// for llama-bpe, false for qwen2); its stop ids are EOS, the file's
// eot/eom ids and the end-of-turn pieces ByteBpeStopIds names;
// tokenizer.chat_template is kept in Model::chat_template.
// tokenizer.ggml.model "llama" is SentencePiece. Its pieces
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
