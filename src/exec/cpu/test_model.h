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

// run.c's forward(), transcribed: one token per call, contiguous KV cache.
class ReferenceLlama {
 public:
  explicit ReferenceLlama(const Model& m) : m_(m), c_(m.config) {
    key_.assign(static_cast<size_t>(c_.n_layers) * c_.context * c_.kv_dim(), 0.0f);
    value_ = key_;
  }

  std::vector<float> Step(int32_t token, int32_t pos) {
    const int dim = c_.dim, kv_dim = c_.kv_dim(), hs = c_.head_size(), hidden = c_.hidden_dim;
    const int kv_mul = c_.n_heads / c_.n_kv_heads;
    const ModelWeights& w = m_.weights;
    std::vector<float> x(w.token_embedding.begin() + token * dim, w.token_embedding.begin() + (token + 1) * dim);
    std::vector<float> xb(dim), xb2(dim), q(dim), hb(hidden), hb2(hidden), att(c_.context);
    for (int l = 0; l < c_.n_layers; ++l) {
      const LayerWeights& lw = w.layers[l];
      RmsNorm(xb.data(), x.data(), lw.rms_att.data(), dim);
      size_t loff = static_cast<size_t>(l) * c_.context * kv_dim;
      float* k = &key_[loff + pos * kv_dim];
      float* v = &value_[loff + pos * kv_dim];
      MatMul(q.data(), xb.data(), lw.wq.data(), dim, dim);
      MatMul(k, xb.data(), lw.wk.data(), dim, kv_dim);
      MatMul(v, xb.data(), lw.wv.data(), dim, kv_dim);
      for (int i = 0; i < dim; i += 2) {
        int head_dim = i % hs;
        float freq = 1.0f / powf(c_.rope_theta, head_dim / static_cast<float>(hs));
        float val = pos * freq;
        float fcr = cosf(val), fci = sinf(val);
        int rotn = i < kv_dim ? 2 : 1;
        for (int r = 0; r < rotn; ++r) {
          float* vec = r == 0 ? q.data() : k;
          float v0 = vec[i], v1 = vec[i + 1];
          vec[i] = v0 * fcr - v1 * fci;
          vec[i + 1] = v0 * fci + v1 * fcr;
        }
      }
      for (int h = 0; h < c_.n_heads; ++h) {
        const float* qh = q.data() + h * hs;
        for (int t = 0; t <= pos; ++t) {
          const float* kt = &key_[loff + t * kv_dim + (h / kv_mul) * hs];
          float score = 0.0f;
          for (int i = 0; i < hs; ++i) score += qh[i] * kt[i];
          att[t] = score / sqrtf(static_cast<float>(hs));
        }
        Softmax(att.data(), pos + 1);
        float* o = xb.data() + h * hs;
        for (int i = 0; i < hs; ++i) o[i] = 0.0f;
        for (int t = 0; t <= pos; ++t) {
          const float* vt = &value_[loff + t * kv_dim + (h / kv_mul) * hs];
          for (int i = 0; i < hs; ++i) o[i] += att[t] * vt[i];
        }
      }
      MatMul(xb2.data(), xb.data(), lw.wo.data(), dim, dim);
      for (int i = 0; i < dim; ++i) x[i] += xb2[i];
      RmsNorm(xb.data(), x.data(), lw.rms_ffn.data(), dim);
      MatMul(hb.data(), xb.data(), lw.w1.data(), dim, hidden);
      MatMul(hb2.data(), xb.data(), lw.w3.data(), dim, hidden);
      for (int i = 0; i < hidden; ++i) {
        float val = hb[i];
        val *= (1.0f / (1.0f + expf(-val)));
        hb[i] = val * hb2[i];
      }
      MatMul(xb.data(), hb.data(), lw.w2.data(), hidden, dim);
      for (int i = 0; i < dim; ++i) x[i] += xb[i];
    }
    RmsNorm(x.data(), x.data(), w.rms_final.data(), dim);
    std::vector<float> logits(c_.vocab_size);
    MatMul(logits.data(), x.data(), w.wcls.data(), dim, c_.vocab_size);
    return logits;
  }

 private:
  void RmsNorm(float* o, const float* x, const float* weight, int size) const {
    float ss = 0.0f;
    for (int j = 0; j < size; ++j) ss += x[j] * x[j];
    ss /= size;
    ss += c_.rms_eps;
    ss = 1.0f / sqrtf(ss);
    for (int j = 0; j < size; ++j) o[j] = weight[j] * (ss * x[j]);
  }
  static void Softmax(float* x, int size) {
    float max_val = x[0];
    for (int i = 1; i < size; ++i)
      if (x[i] > max_val) max_val = x[i];
    float sum = 0.0f;
    for (int i = 0; i < size; ++i) {
      x[i] = expf(x[i] - max_val);
      sum += x[i];
    }
    for (int i = 0; i < size; ++i) x[i] /= sum;
  }
  static void MatMul(float* xout, const float* x, const float* w, int n, int d) {
    for (int i = 0; i < d; ++i) {
      float val = 0.0f;
      for (int j = 0; j < n; ++j) val += w[i * n + j] * x[j];
      xout[i] = val;
    }
  }

  const Model& m_;
  ModelConfig c_;
  std::vector<float> key_, value_;
};

}  // namespace cacheopt::cputest
