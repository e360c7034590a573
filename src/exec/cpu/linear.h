// A linear layer y = x * W^T over a stack of token rows: one matrix multiply
// for the whole mixed batch. Several weight matrices with the same input can
// be stacked into one layer (q|k|v, w1|w3): each output row is still its own
// dot products, so stacking changes no arithmetic.
#pragma once

#include <cstdint>
#include <vector>

#include "exec/cpu/thread_pool.h"

namespace cacheopt {

enum class GemmMode : int8_t {
  kInvariant,  // own packed kernel: a row's outputs never depend on the batch
  kOpenBlas,   // cblas_sgemm: fast on well-detected CPUs, NOT batch-invariant
};

// `rows` rows of a row-major [rows][k] matrix, owned by the caller (the Model).
struct WeightPart {
  const float* data = nullptr;
  int32_t rows = 0;
};

class Linear {
 public:
  Linear() = default;
  // W = parts stacked, [n][k]. kInvariant packs a copy; kOpenBlas keeps the
  // pointers, which must outlive the layer.
  Linear(std::vector<WeightPart> parts, int32_t k, GemmMode mode);

  int32_t n() const { return n_; }
  int32_t k() const { return k_; }

  // y[r][0..n) = x[r][0..k) * W^T for r < rows. `pool` may be null.
  void Apply(const float* x, int64_t ldx, int32_t rows, float* y, int64_t ldy, ThreadPool* pool) const;

 private:
  void ApplyPacked(const float* x, int64_t ldx, int32_t rows, float* y, int64_t ldy, ThreadPool* pool) const;
  void ApplyBlas(const float* x, int64_t ldx, int32_t rows, float* y, int64_t ldy) const;

  GemmMode mode_ = GemmMode::kInvariant;
  int32_t n_ = 0;
  int32_t k_ = 0;
  std::vector<WeightPart> parts_;
  std::vector<float> packed_;  // [n/16 panels][k][16], zero-padded columns
};

}  // namespace cacheopt
