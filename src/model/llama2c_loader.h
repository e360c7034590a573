// Loads llama2.c's legacy (version 0) checkpoint plus its tokenizer.bin, as
// run.c reads them: a negative vocab_size in the header means a separate
// classifier stored after the freq_cis tables; a positive one means wcls is
// the token embedding (copied, so Model stays self-contained).
#pragma once

#include <cstdint>
#include <string>

#include "cacheopt/status.h"
#include "model/model.h"

namespace cacheopt {

// context_override > 0 replaces the header's seq_len as config.context
// (file_context keeps the header's value); 0 keeps it; negative is an error.
// Stop ids are {1}: run.c stops when the model emits BOS. The file must be
// exactly as long as the header implies; every error names the file.
Result<Model> LoadLlama2c(const std::string& checkpoint_path, const std::string& tokenizer_path,
                          int32_t context_override);

// The header only, checked, as a config (context = seq_len). Lets callers
// pick a tokenizer by vocab size before loading the weights.
Result<ModelConfig> ReadLlama2cConfig(const std::string& checkpoint_path);

}  // namespace cacheopt
