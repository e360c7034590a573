// Writes a Model in the two formats the loaders read, so tests can round-trip
// them, `cacheopt make-model` can save random models, and fuzz seeds can be
// made from real files.
#pragma once

#include <string>

#include "cacheopt/status.h"
#include "model/gguf_builder.h"
#include "model/model.h"

namespace cacheopt {

// llama2.c legacy (version 0) checkpoint, readable by run.c and LoadLlama2c:
// positive vocab_size when wcls equals token_embedding (shared), negative with
// wcls appended otherwise; seq_len is config.context; the freq_cis tables are
// filled as llama2.c's exporter does. The format has no fields for rms_eps,
// rope_theta or special ids, so values other than run.c's constants (1e-5,
// 10000, bos 1, eos 2) are an error. The tokenizer goes to tokenizer_path
// (skipped when empty) in tokenizer.bin format.
Status WriteLlama2c(const Model& m, const std::string& checkpoint_path, const std::string& tokenizer_path);

// GGUF v3 with llama metadata and the vocabulary (pieces back in SentencePiece
// form: ' ' -> U+2581, "\n<s>\n" -> "<s>"). Matrices are F16 when f16 is set
// (1-D norm weights stay F32, as llama.cpp's converters keep them); output.weight
// is omitted when wcls equals token_embedding.
Status WriteGguf(const Model& m, const std::string& path, bool f16);

// GGUF v3 as WriteGguf, with every matrix stored as `type` (any of
// model/ggml_blocks.h's types), quantized from the model's fp32 weights with
// our quantizers; a matrix whose rows do not fit the type's blocks takes
// StorageTypeFor's fallback (model/model_quant.h). 1-D weights stay F32.
// general.file_type is llama.cpp's ftype for the type. `m` must hold fp32
// weights (WidenModelWeights a quantized one first).
Status WriteGgufAs(const Model& m, const std::string& path, uint32_t type);

// The builder WriteGguf writes, for tests that alter it first. It borrows the
// model's weights: `m` must outlive the builder's Write().
GgufBuilder GgufBuilderForModel(const Model& m, bool f16);

}  // namespace cacheopt
