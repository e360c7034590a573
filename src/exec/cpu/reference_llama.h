// run.c's forward(), transcribed the obvious way: one token per call, naive
// matmul loops, a contiguous KV cache, one thread. The tests check the engine
// against it; cpu_engine_bench times it as the speed reference.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "model/model.h"

namespace cacheopt {

class ReferenceLlama {
 public:
  ReferenceLlama(const Model& m, int32_t seq_len) : m_(m), c_(m.config), seq_len_(seq_len) {
    const size_t kv = static_cast<size_t>(c_.n_layers) * seq_len * c_.kv_dim();
    key_cache_.assign(kv, 0.0f);
    value_cache_.assign(kv, 0.0f);
    x_.resize(c_.dim);
    xb_.resize(c_.dim);
    xb2_.resize(c_.dim);
    q_.resize(c_.dim);
    hb_.resize(c_.hidden_dim);
    hb2_.resize(c_.hidden_dim);
    att_.resize(static_cast<size_t>(c_.n_heads) * seq_len);
    logits_.resize(c_.vocab_size);
  }

  const std::vector<float>& Forward(int32_t token, int32_t pos) {
    const int dim = c_.dim, kv_dim = c_.kv_dim(), hs = c_.head_size(), hidden = c_.hidden_dim;
    const int kv_mul = c_.n_heads / c_.n_kv_heads;
    const ModelWeights& w = m_.weights;
    std::memcpy(x_.data(), &w.token_embedding[static_cast<size_t>(token) * dim], sizeof(float) * dim);
    for (int l = 0; l < c_.n_layers; ++l) {
      const LayerWeights& lw = w.layers[l];
      RmsNorm(xb_.data(), x_.data(), lw.rms_att.data(), dim);
      const size_t loff = static_cast<size_t>(l) * seq_len_ * kv_dim;
      float* k = &key_cache_[loff + static_cast<size_t>(pos) * kv_dim];
      float* v = &value_cache_[loff + static_cast<size_t>(pos) * kv_dim];
      MatMul(q_.data(), xb_.data(), lw.wq.data(), dim, dim);
      MatMul(k, xb_.data(), lw.wk.data(), dim, kv_dim);
      MatMul(v, xb_.data(), lw.wv.data(), dim, kv_dim);
      for (int i = 0; i < dim; i += 2) {
        int head_dim = i % hs;
        float freq = 1.0f / powf(c_.rope_theta, head_dim / static_cast<float>(hs));
        float val = pos * freq;
        float fcr = cosf(val), fci = sinf(val);
        int rotn = i < kv_dim ? 2 : 1;
        for (int r = 0; r < rotn; ++r) {
          float* vec = r == 0 ? q_.data() : k;
          float v0 = vec[i], v1 = vec[i + 1];
          vec[i] = v0 * fcr - v1 * fci;
          vec[i + 1] = v0 * fci + v1 * fcr;
        }
      }
      for (int h = 0; h < c_.n_heads; ++h) {
        const float* qh = q_.data() + h * hs;
        float* att = att_.data() + static_cast<size_t>(h) * seq_len_;
        for (int t = 0; t <= pos; ++t) {
          const float* kt = &key_cache_[loff + static_cast<size_t>(t) * kv_dim + (h / kv_mul) * hs];
          float score = 0.0f;
          for (int i = 0; i < hs; ++i) score += qh[i] * kt[i];
          att[t] = score / sqrtf(static_cast<float>(hs));
        }
        Softmax(att, pos + 1);
        float* o = xb_.data() + h * hs;
        std::memset(o, 0, sizeof(float) * hs);
        for (int t = 0; t <= pos; ++t) {
          const float* vt = &value_cache_[loff + static_cast<size_t>(t) * kv_dim + (h / kv_mul) * hs];
          const float a = att[t];
          for (int i = 0; i < hs; ++i) o[i] += a * vt[i];
        }
      }
      MatMul(xb2_.data(), xb_.data(), lw.wo.data(), dim, dim);
      for (int i = 0; i < dim; ++i) x_[i] += xb2_[i];
      RmsNorm(xb_.data(), x_.data(), lw.rms_ffn.data(), dim);
      MatMul(hb_.data(), xb_.data(), lw.w1.data(), dim, hidden);
      MatMul(hb2_.data(), xb_.data(), lw.w3.data(), dim, hidden);
      for (int i = 0; i < hidden; ++i) {
        float val = hb_[i];
        val *= (1.0f / (1.0f + expf(-val)));
        hb_[i] = val * hb2_[i];
      }
      MatMul(xb_.data(), hb_.data(), lw.w2.data(), hidden, dim);
      for (int i = 0; i < dim; ++i) x_[i] += xb_[i];
    }
    RmsNorm(x_.data(), x_.data(), w.rms_final.data(), dim);
    MatMul(logits_.data(), x_.data(), w.wcls.data(), dim, c_.vocab_size);
    return logits_;
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
  // W (d,n) @ x (n,) -> xout (d,), as run.c without OpenMP.
  static void MatMul(float* xout, const float* x, const float* w, int n, int d) {
    for (int i = 0; i < d; ++i) {
      float val = 0.0f;
      for (int j = 0; j < n; ++j) val += w[static_cast<size_t>(i) * n + j] * x[j];
      xout[i] = val;
    }
  }

  const Model& m_;
  ModelConfig c_;
  int32_t seq_len_;
  std::vector<float> x_, xb_, xb2_, q_, hb_, hb2_, att_, logits_;
  std::vector<float> key_cache_, value_cache_;
};

}  // namespace cacheopt
