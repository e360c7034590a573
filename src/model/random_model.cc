#include "model/random_model.h"

#include <cmath>

#include "model/model_check.h"
#include "model/random_vocab.h"
#include "model/weight_rng.h"

namespace cacheopt {
namespace {

struct Shape {
  const char* name;
  int32_t dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, context;
};

constexpr Shape kShapes[] = {
    {"micro", 16, 40, 2, 4, 2, 384, 64},
    {"tiny", 64, 172, 5, 8, 4, 512, 512},
    {"15m", 288, 768, 6, 6, 6, 32000, 2048},
    {"42m", 512, 1376, 8, 8, 8, 32000, 2048},
    {"110m", 768, 2048, 12, 12, 12, 32000, 2048},
    // Every width a multiple of 256: each K-quant applies (fuzz seeds, tests).
    {"micro256", 256, 256, 1, 4, 2, 384, 64},
};

void Fill(WeightRng& rng, size_t n, std::vector<float>* out) {
  const float scale = 0.02f * std::sqrt(3.0f);  // uniform(-a, a) has sd a/sqrt(3)
  out->resize(n);
  for (float& x : *out) x = rng.Symmetric() * scale;
}

}  // namespace

std::vector<std::string> RandomModelConfigNames() {
  std::vector<std::string> names;
  for (const Shape& s : kShapes) names.emplace_back(s.name);
  return names;
}

Result<ModelConfig> RandomModelConfig(const std::string& config_name) {
  for (const Shape& s : kShapes) {
    if (config_name != s.name) continue;
    ModelConfig c;
    c.dim = s.dim;
    c.hidden_dim = s.hidden_dim;
    c.n_layers = s.n_layers;
    c.n_heads = s.n_heads;
    c.n_kv_heads = s.n_kv_heads;
    c.vocab_size = s.vocab_size;
    c.context = c.file_context = s.context;
    c.stop_ids = {1, 2};
    return c;
  }
  std::string allowed;
  for (const std::string& n : RandomModelConfigNames()) allowed += (allowed.empty() ? "" : ", ") + n;
  return Status::InvalidArgument("unknown model config '" + config_name + "'; allowed: " + allowed);
}

Result<Model> MakeRandomModel(const std::string& config_name, uint64_t seed) {
  auto config = RandomModelConfig(config_name);
  if (!config.ok()) return config.status();
  auto vocab = MakeRandomVocabulary(config->vocab_size);
  if (!vocab.ok()) return vocab.status();
  Model m;
  m.config = *config;
  m.vocab = std::move(*vocab);
  m.source = "generated:" + config_name;
  const ModelConfig& c = m.config;
  const size_t dim = c.dim, hidden = c.hidden_dim, kv = c.kv_dim(), vocab_size = c.vocab_size;
  // Mix the seed so seeds 0, 1, 2... start far apart in SplitMix's sequence.
  WeightRng rng(WeightRng(seed ^ 0x63616368656f7074ull).Next());
  ModelWeights& w = m.weights;
  Fill(rng, vocab_size * dim, &w.token_embedding);
  w.layers.resize(c.n_layers);
  for (LayerWeights& L : w.layers) {
    L.rms_att.assign(dim, 1.0f);
    L.rms_ffn.assign(dim, 1.0f);
    Fill(rng, dim * dim, &L.wq);
    Fill(rng, kv * dim, &L.wk);
    Fill(rng, kv * dim, &L.wv);
    Fill(rng, dim * dim, &L.wo);
    Fill(rng, hidden * dim, &L.w1);
    Fill(rng, dim * hidden, &L.w2);
    Fill(rng, hidden * dim, &L.w3);
  }
  w.rms_final.assign(dim, 1.0f);
  w.wcls = w.token_embedding;  // shared, as in llama2.c's stories models
  if (Status s = CheckWeights(m, m.source); !s.ok()) return s;
  return m;
}

}  // namespace cacheopt
