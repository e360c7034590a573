#include "cacheopt/cost/model_spec.h"
#include "cacheopt/util/names.h"

#include <array>

namespace cacheopt {
namespace {

// Shapes from docs/design EVALUATION.md, checked against each model's
// published config.json (see docs/cost-model.md).
const std::array<ModelSpec, 8>& Registry() {
  static const std::array<ModelSpec, 8> kModels = {{
      {"llama-2-7b", "meta-llama/Llama-2-7b-hf", 32, 4096, 32, 32, 11008, 32000, 4096, true},
      {"llama-2-70b", "meta-llama/Llama-2-70b-hf", 80, 8192, 64, 8, 28672, 32000, 4096, true},
      {"internlm-20b", "internlm/internlm-20b", 60, 5120, 40, 40, 13824, 103168, 4096, true},
      {"codellama-34b", "codellama/CodeLlama-34b-Instruct-hf", 48, 8192, 64, 8, 22016, 32000, 16384,
       true},
      {"llama-3-8b", "meta-llama/Meta-Llama-3-8B", 32, 4096, 32, 8, 14336, 128256, 8192, true},
      // Llama 3.1 8B: Llama 3 8B's shapes (so its operator profiles) at a
      // 128k context (config.json max_position_embeddings 131072).
      {"llama-3.1-8b", "meta-llama/Meta-Llama-3-8B", 32, 4096, 32, 8, 14336, 128256, 131072, true},
      {"qwen-72b", "Qwen/Qwen-72B", 80, 8192, 64, 64, 24576, 152064, 32768, true},
      {"phi-2", "microsoft/phi-2", 32, 2560, 32, 32, 10240, 51200, 2048, false},
  }};
  return kModels;
}

}  // namespace

int64_t ModelSpec::LayerMatrixParams(int tp) const {
  const int64_t h = hidden, d = head_dim();
  const int64_t qkv = h * d * (HeadsPerShard(tp) + 2 * static_cast<int64_t>(KvHeadsPerShard(tp)));
  const int64_t out = static_cast<int64_t>(HeadsPerShard(tp)) * d * h;
  const int64_t mlp = (gated_mlp ? 3 : 2) * h * (static_cast<int64_t>(ffn) / tp);
  return qkv + out + mlp;
}

int64_t ModelSpec::ParamCount() const {
  const int64_t h = hidden;
  const int64_t norms = 2 * h;
  return 2 * static_cast<int64_t>(vocab) * h + layers * (LayerMatrixParams(1) + norms) + h;
}

int64_t ModelSpec::KvBytesPerToken(int tp) const {
  return 2LL * layers * KvHeadsPerShard(tp) * head_dim() * kv_cache_bytes;
}

Result<ModelSpec> FindModel(std::string_view name) {
  for (const ModelSpec& m : Registry()) {
    if (m.name == name) return m;
  }
  return UnknownName("model", name, ModelNames());
}

std::vector<std::string> ModelNames() {
  std::vector<std::string> names;
  for (const ModelSpec& m : Registry()) names.push_back(m.name);
  return names;
}

}  // namespace cacheopt
