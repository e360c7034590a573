#include "exec/cpu/row_ops.h"

#include <cmath>

namespace cacheopt {

void RmsNorm(const float* x, const float* weight, int32_t n, float eps, float* out) {
  // As ggml's rms_norm: float squares summed in double, the mean rounded to
  // float, so the scale is llama.cpp's to the bit (an ulp here moves 8-bit
  // activation codes downstream).
  double sum = 0.0;
  for (int32_t j = 0; j < n; ++j) sum += static_cast<double>(x[j] * x[j]);
  const float mean = static_cast<float>(sum / n);
  const float ss = 1.0f / std::sqrt(mean + eps);
  for (int32_t j = 0; j < n; ++j) out[j] = weight[j] * (ss * x[j]);
}

void Rope(float* q, float* k, int32_t dim, int32_t kv_dim, int32_t head_size, int32_t pos, float theta) {
  for (int32_t i = 0; i < dim; i += 2) {
    int32_t head_dim = i % head_size;
    float freq = 1.0f / std::pow(theta, static_cast<float>(head_dim) / static_cast<float>(head_size));
    float val = static_cast<float>(pos) * freq;
    float fcr = std::cos(val);
    float fci = std::sin(val);
    // K is narrower than Q under GQA: rotate it only where it exists.
    int32_t rotn = i < kv_dim ? 2 : 1;
    for (int32_t v = 0; v < rotn; ++v) {
      float* vec = v == 0 ? q : k;
      float v0 = vec[i];
      float v1 = vec[i + 1];
      vec[i] = v0 * fcr - v1 * fci;
      vec[i + 1] = v0 * fci + v1 * fcr;
    }
  }
}

void RopeScaled(float* q, float* k, int32_t dim, int32_t kv_dim, int32_t pos, const RopeParams& p) {
  const int32_t hs = p.head_size;
  for (int32_t i = 0; i < dim; i += 2) {
    const int32_t head_dim = i % hs;  // 2j for pair j of the head
    float freq = 1.0f / std::pow(p.theta, static_cast<float>(head_dim) / static_cast<float>(hs));
    float val = static_cast<float>(pos) * freq;
    if (p.freq_factors != nullptr) val /= p.freq_factors[head_dim / 2];
    if (p.freq_scale != 1.0f) val *= p.freq_scale;
    const float fcr = std::cos(val);
    const float fci = std::sin(val);
    int32_t a = i, b = i + 1;
    if (p.half_split) {
      a = i - head_dim + head_dim / 2;
      b = a + hs / 2;
    }
    const int32_t rotn = i < kv_dim ? 2 : 1;  // K is narrower than Q under GQA
    for (int32_t v = 0; v < rotn; ++v) {
      float* vec = v == 0 ? q : k;
      const float v0 = vec[a];
      const float v1 = vec[b];
      vec[a] = v0 * fcr - v1 * fci;
      vec[b] = v0 * fci + v1 * fcr;
    }
  }
}

void SwiGlu(const float* h1, const float* h3, int32_t n, float* out) {
  for (int32_t i = 0; i < n; ++i) {
    float val = h1[i];
    val *= 1.0f / (1.0f + std::exp(-val));
    out[i] = val * h3[i];
  }
}

}  // namespace cacheopt
