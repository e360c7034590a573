// Test helpers: a small Llama with deterministic pseudo-random weights (no
// loader needed), and a naive one-token-at-a-time transcription of llama2.c's
// run.c forward pass to check the batched engine against.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "exec/cpu/sampler.h"
#include "model/model.h"

namespace cacheopt::cputest {

// dim 64, 8 heads over 2 kv heads (GQA 4:1), widths that are not multiples of
// the kernel's 16-column panels (hidden 172, vocab 130).
inline ModelConfig TinyConfig() {
  ModelConfig c;
  c.dim = 64;
  c.hidden_dim = 172;
  c.n_layers = 3;
  c.n_heads = 8;
  c.n_kv_heads = 2;
  c.vocab_size = 130;
  c.context = 512;
  c.file_context = 512;
  c.stop_ids = {2};
  return c;
}

inline Model RandomModel(const ModelConfig& c, uint64_t seed = 1) {
  uint64_t state = seed;
  // Uniform in [-scale, scale), from splitmix64.
  auto fill = [&](std::vector<float>* v, size_t n, float scale, float offset = 0) {
    v->resize(n);
    for (float& x : *v) {
      state = SplitMixHash(state);
      x = offset + scale * (static_cast<float>(state >> 40) / 8388608.0f - 1.0f);
    }
  };
  const size_t dim = c.dim, kv = c.kv_dim(), hid = c.hidden_dim;
  const float in_dim = 1.0f / std::sqrt(static_cast<float>(dim));
  const float in_hid = 1.0f / std::sqrt(static_cast<float>(hid));
  Model m;
  m.config = c;
  m.source = "generated:test";
  fill(&m.weights.token_embedding, c.vocab_size * dim, 1.0f);
  m.weights.layers.resize(c.n_layers);
  for (LayerWeights& w : m.weights.layers) {
    fill(&w.rms_att, dim, 0.2f, 1.0f);
    fill(&w.wq, dim * dim, 1.5f * in_dim);
    fill(&w.wk, kv * dim, 1.5f * in_dim);
    fill(&w.wv, kv * dim, 1.5f * in_dim);
    fill(&w.wo, dim * dim, in_dim);
    fill(&w.rms_ffn, dim, 0.2f, 1.0f);
    fill(&w.w1, hid * dim, 1.5f * in_dim);
    fill(&w.w2, dim * hid, in_hid);
    fill(&w.w3, hid * dim, 1.5f * in_dim);
  }
  fill(&m.weights.rms_final, dim, 0.2f, 1.0f);
  fill(&m.weights.wcls, c.vocab_size * dim, 2.0f * in_dim);
  return m;
}

}  // namespace cacheopt::cputest
