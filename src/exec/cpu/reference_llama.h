// run.c's forward(), transcribed the obvious way: one token per call, naive
// matmul loops, a contiguous KV cache, one thread. The tests check the engine
// against it; cpu_engine_bench times it as the speed reference.
//
// Real = float is run.c's arithmetic (ReferenceLlama); Real = double
// (ReferenceLlama64) computes every activation in float64 from the same
// float weights, the reference the architecture tests measure the engine's
// float32 error against. Beyond run.c it applies what the GGUF
// architectures add (docs/models.md), each only when the model has it, so
// the float path of a llama2.c model is run.c's operation for operation:
// Q/K/V and output biases, RoPE frequency factors (Llama 3's rope_freqs),
// linear RoPE scaling, half-split RoPE pairs (Qwen2) and a sliding window.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "model/model.h"

namespace cacheopt {

template <typename Real>
class BasicReferenceLlama {
 public:
  BasicReferenceLlama(const Model& m, int32_t seq_len) : m_(m), c_(m.config), seq_len_(seq_len) {
    const size_t kv = static_cast<size_t>(c_.n_layers) * seq_len * c_.kv_dim();
    key_cache_.assign(kv, Real(0));
    value_cache_.assign(kv, Real(0));
    x_.resize(c_.dim);
    xb_.resize(c_.dim);
    xb2_.resize(c_.dim);
    q_.resize(c_.dim);
    hb_.resize(c_.hidden_dim);
    hb2_.resize(c_.hidden_dim);
    att_.resize(static_cast<size_t>(c_.n_heads) * seq_len);
    logits_.resize(c_.vocab_size);
  }

  const std::vector<Real>& Forward(int32_t token, int32_t pos) {
    const int dim = c_.dim, kv_dim = c_.kv_dim(), hs = c_.head_size(), hidden = c_.hidden_dim;
    const int kv_mul = c_.n_heads / c_.n_kv_heads;
    const ModelWeights& w = m_.weights;
    for (int i = 0; i < dim; ++i) x_[i] = w.token_embedding[static_cast<size_t>(token) * dim + i];
    for (int l = 0; l < c_.n_layers; ++l) {
      const LayerWeights& lw = w.layers[l];
      RmsNorm(xb_.data(), x_.data(), lw.rms_att.data(), dim);
      const size_t loff = static_cast<size_t>(l) * seq_len_ * kv_dim;
      Real* k = &key_cache_[loff + static_cast<size_t>(pos) * kv_dim];
      Real* v = &value_cache_[loff + static_cast<size_t>(pos) * kv_dim];
      MatMul(q_.data(), xb_.data(), lw.wq.data(), dim, dim);
      MatMul(k, xb_.data(), lw.wk.data(), dim, kv_dim);
      MatMul(v, xb_.data(), lw.wv.data(), dim, kv_dim);
      AddBias(q_.data(), lw.bq);
      AddBias(k, lw.bk);
      AddBias(v, lw.bv);
      const bool half_split = c_.rope_style == ModelConfig::RopeStyle::kHalfSplit;
      for (int i = 0; i < dim; i += 2) {
        int head_dim = i % hs;
        Real freq = Real(1) / std::pow(Real(c_.rope_theta), Real(head_dim) / Real(hs));
        Real val = Real(pos) * freq;
        if (!w.rope_freq_factors.empty()) val /= Real(w.rope_freq_factors[head_dim / 2]);
        if (c_.rope_freq_scale != 1.0f) val *= Real(c_.rope_freq_scale);
        Real fcr = std::cos(val), fci = std::sin(val);
        const int a = half_split ? i - head_dim + head_dim / 2 : i;
        const int b = half_split ? a + hs / 2 : i + 1;
        int rotn = i < kv_dim ? 2 : 1;
        for (int r = 0; r < rotn; ++r) {
          Real* vec = r == 0 ? q_.data() : k;
          Real v0 = vec[a], v1 = vec[b];
          vec[a] = v0 * fcr - v1 * fci;
          vec[b] = v0 * fci + v1 * fcr;
        }
      }
      const int lo = c_.sliding_window > 0 ? std::max(0, pos + 1 - c_.sliding_window) : 0;
      for (int h = 0; h < c_.n_heads; ++h) {
        const Real* qh = q_.data() + h * hs;
        Real* att = att_.data() + static_cast<size_t>(h) * seq_len_;
        for (int t = lo; t <= pos; ++t) {
          const Real* kt = &key_cache_[loff + static_cast<size_t>(t) * kv_dim + (h / kv_mul) * hs];
          Real score = Real(0);
          for (int i = 0; i < hs; ++i) score += qh[i] * kt[i];
          att[t] = score / std::sqrt(static_cast<Real>(hs));
        }
        Softmax(att + lo, pos + 1 - lo);
        Real* o = xb_.data() + h * hs;
        std::fill(o, o + hs, Real(0));
        for (int t = lo; t <= pos; ++t) {
          const Real* vt = &value_cache_[loff + static_cast<size_t>(t) * kv_dim + (h / kv_mul) * hs];
          const Real a = att[t];
          for (int i = 0; i < hs; ++i) o[i] += a * vt[i];
        }
      }
      MatMul(xb2_.data(), xb_.data(), lw.wo.data(), dim, dim);
      AddBias(xb2_.data(), lw.bo);
      for (int i = 0; i < dim; ++i) x_[i] += xb2_[i];
      RmsNorm(xb_.data(), x_.data(), lw.rms_ffn.data(), dim);
      MatMul(hb_.data(), xb_.data(), lw.w1.data(), dim, hidden);
      MatMul(hb2_.data(), xb_.data(), lw.w3.data(), dim, hidden);
      for (int i = 0; i < hidden; ++i) {
        Real val = hb_[i];
        val *= (Real(1) / (Real(1) + std::exp(-val)));
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
  void RmsNorm(Real* o, const Real* x, const float* weight, int size) const {
    Real ss = Real(0);
    for (int j = 0; j < size; ++j) ss += x[j] * x[j];
    ss /= Real(size);
    ss += Real(c_.rms_eps);
    ss = Real(1) / std::sqrt(ss);
    for (int j = 0; j < size; ++j) o[j] = Real(weight[j]) * (ss * x[j]);
  }
  static void AddBias(Real* x, const std::vector<float>& b) {
    for (size_t i = 0; i < b.size(); ++i) x[i] += Real(b[i]);
  }
  static void Softmax(Real* x, int size) {
    Real max_val = x[0];
    for (int i = 1; i < size; ++i)
      if (x[i] > max_val) max_val = x[i];
    Real sum = Real(0);
    for (int i = 0; i < size; ++i) {
      x[i] = std::exp(x[i] - max_val);
      sum += x[i];
    }
    for (int i = 0; i < size; ++i) x[i] /= sum;
  }
  // W (d,n) @ x (n,) -> xout (d,), as run.c without OpenMP.
  static void MatMul(Real* xout, const Real* x, const float* w, int n, int d) {
    for (int i = 0; i < d; ++i) {
      Real val = Real(0);
      for (int j = 0; j < n; ++j) val += Real(w[static_cast<size_t>(i) * n + j]) * x[j];
      xout[i] = val;
    }
  }

  const Model& m_;
  ModelConfig c_;
  int32_t seq_len_;
  std::vector<Real> x_, xb_, xb2_, q_, hb_, hb2_, att_, logits_;
  std::vector<Real> key_cache_, value_cache_;
};

using ReferenceLlama = BasicReferenceLlama<float>;
using ReferenceLlama64 = BasicReferenceLlama<double>;

}  // namespace cacheopt
