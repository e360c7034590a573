// Dot products of a quantized weight row (GGUF blocks, read in place) with an
// activation row quantized to 8 bits, as llama.cpp's CPU backend does (its
// ggml_vec_dot_*_q8_0 / _q8_K), but with one exact, defined order of float
// operations that every instruction-set path reproduces bit for bit:
//
//  * integer products are summed in "lanes": lane L of a 32-element group is
//    the exact integer sum of elements 4L..4L+3 times their weights (what
//    maddubs + madd gives); integer sums are exact, so any grouping agrees;
//  * there are 16 float lane accumulators: even-numbered groups feed lanes
//    0-7, odd ones lanes 8-15, each by one fused multiply-add per group (or,
//    for K-quants, per super-block) in ascending order;
//  * a scalar accumulator takes the offset terms (Q4_0's -8, K-quant mins,
//    Q6_K's -32), one fused multiply-add per block;
//  * the result is a fixed tree over the 16 lanes, minus the scalar.
//
// So a row's result depends only on the weight row and its own activation
// row: the same alone or in any batch, at any position, on any path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "exec/cpu/gemm_kernel.h"

namespace cacheopt {

// One activation row quantized to int8 in blocks of `block` (32 for Q8_0,
// Q4_0, Q5_0 and Q5_1 weights, 256 for K-quants): value ~ d[b] * q[i]. sum16[j]
// is the sum of q over elements 16j..16j+15. For 32-blocks, s[b] is ggml's
// block_q8_1 `s` (d * sum of q, rounded to half), which Q5_1's min multiplies.
struct ActRowView {
  const float* d = nullptr;
  const int8_t* q = nullptr;
  const int32_t* sum16 = nullptr;
  const float* s = nullptr;
};

// Holds one activation format for a stack of rows.
class QuantizedActs {
 public:
  // Quantizes rows x[r][0..k) (k a multiple of `block`): q =
  // round-to-nearest-even(x * 127 / amax), and the scale d exactly as
  // llama.cpp's CPU backend stores it (so each block's integer dot and
  // scale product are llama.cpp's): 32-blocks (block_q8_0/q8_1) keep
  // amax / 127 rounded to half; 256-blocks (block_q8_K) keep 1 / (127 /
  // amax). Per-row, so batch-invariant.
  void Quantize(const float* x, int64_t ldx, int32_t rows, int32_t k, int32_t block);
  ActRowView Row(int32_t r) const {
    const size_t nb = static_cast<size_t>(k_ / block_);
    return {d_.data() + r * nb, q_.data() + static_cast<size_t>(r) * k_,
            sum16_.data() + static_cast<size_t>(r) * (k_ / 16), s_.empty() ? nullptr : s_.data() + r * nb};
  }
  int32_t block() const { return block_; }

 private:
  int32_t block_ = 32, k_ = 0;
  std::vector<float> d_;
  std::vector<int8_t> q_;
  std::vector<int32_t> sum16_;
  std::vector<float> s_;
};

// Activation block size a weight type needs (32 or 256); 0 when the type has
// no quantized kernel (F32/F16/BF16 use the float panel kernel).
int32_t ActBlockFor(uint32_t type);

// Dot of one weight row of `k` elements stored as `type` with `a`.
float QuantDot(uint32_t type, const uint8_t* w, const ActRowView& a, int32_t k);
// y[(r - r0) * ldy + c] = QuantDot(type, w + c * row_bytes, acts.Row(r), k)
// for c in [0, cols) and r in [r0, r1): a tile of weight rows by activation
// rows, with the path and type resolved once for the tile instead of per dot
// product (that dispatch was a fifth of a quantized step). The same bits.
void QuantDotTile(uint32_t type, const uint8_t* w, uint64_t row_bytes, int32_t cols, const QuantizedActs& acts,
                  int32_t r0, int32_t r1, int32_t k, float* y, int64_t ldy);
// The same on a given path, which this CPU must support (tests).
float QuantDotWith(KernelIsa isa, uint32_t type, const uint8_t* w, const ActRowView& a, int32_t k);

}  // namespace cacheopt
