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

// out[i] = silu(h1[i]) * h3[i].
void SwiGlu(const float* h1, const float* h3, int32_t n, float* out);

}  // namespace cacheopt
