// Where the real engine's model comes from: a model already in memory, a
// file (GGUF or llama2.c), or a random-weight config when neither is given.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "cacheopt/status.h"
#include "model/model.h"

namespace cacheopt {

struct ModelSource {
  // Already built (tests share one across engines); the fields below are then
  // ignored.
  std::shared_ptr<const Model> model;
  std::string path;            // GGUF or llama2.c checkpoint
  std::string tokenizer_path;  // llama2.c only; "" = found beside the checkpoint
  // Usable context: > 0 overrides; 0 = KnownTrainedContext(path), else the
  // file's own (a generated model: its config's).
  int32_t context = 0;
  std::string generate_config = "tiny";  // random_model.h name, when no path
  uint64_t generate_seed = 0;
};

Result<std::shared_ptr<const Model>> LoadModelSource(const ModelSource& src);

}  // namespace cacheopt
