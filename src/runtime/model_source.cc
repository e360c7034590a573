#include "runtime/model_source.h"

#include "model/model_loader.h"
#include "model/random_model.h"

namespace cacheopt {

Result<std::shared_ptr<const Model>> LoadModelSource(const ModelSource& src) {
  if (src.model != nullptr) return src.model;
  if (src.context < 0) return Status::InvalidArgument("context must be >= 0 (0: the model's own)");
  if (!src.path.empty()) {
    // llama.cpp's converter declares 2048 for every stories model; the known
    // trained context keeps positions where the weights were trained.
    const int32_t context = src.context > 0 ? src.context : KnownTrainedContext(src.path);
    auto m = LoadModel(src.path, src.tokenizer_path, context);
    if (!m.ok()) return m.status();
    return std::shared_ptr<const Model>(std::make_shared<Model>(std::move(*m)));
  }
  if (!src.tokenizer_path.empty()) return Status::InvalidArgument("a tokenizer path needs a model path");
  auto m = MakeRandomModel(src.generate_config, src.generate_seed);
  if (!m.ok()) return m.status();
  if (src.context > 0) m->config.context = src.context;  // RoPE has no trained limit here
  return std::shared_ptr<const Model>(std::make_shared<Model>(std::move(*m)));
}

}  // namespace cacheopt
