// The per-token pieces of run.c's forward pass. Each works on one row alone,
// in a fixed order, so it is batch-invariant by construction.
#pragma once

#include <cstdint>

namespace cacheopt {

// out = weight * (x / sqrt(mean(x^2) + eps)), as run.c's rmsnorm.
void RmsNorm(const float* x, const float* weight, int32_t n, float eps, float* out);

// RoPE on interleaved adjacent pairs (x[2i], x[2i+1]) of q (dim wide) and k
// (kv_dim wide), frequency theta^-((2i mod head_size)/head_size).
void Rope(float* q, float* k, int32_t dim, int32_t kv_dim, int32_t head_size, int32_t pos, float theta);

// RoPE as llama.cpp applies it to llama, Llama 3 and Qwen2 files: per pair j
// of a head (j < head_size/2) the angle pos * theta^(-2j/head_size), divided
// by freq_factors[j] when given (Llama 3.1's rope_freqs) and times
// freq_scale (linear scaling); the pair is (2j, 2j+1) or, half_split,
// (j, j + head_size/2). Without factors and with scale 1, adjacent pairs
// give Rope()'s bits exactly.
struct RopeParams {
  int32_t head_size = 0;
  float theta = 10000.0f;
  float freq_scale = 1.0f;
  const float* freq_factors = nullptr;  // [head_size/2] or null
  bool half_split = false;
};
void RopeScaled(float* q, float* k, int32_t dim, int32_t kv_dim, int32_t pos, const RopeParams& p);

// out[i] = silu(h1[i]) * h3[i].
void SwiGlu(const float* h1, const float* h3, int32_t n, float* out);

}  // namespace cacheopt
