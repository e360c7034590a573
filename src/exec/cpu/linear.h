// A linear layer y = x * W^T over a stack of token rows: one matrix multiply
// for the whole mixed batch. Several weight matrices with the same input can
// be stacked into one layer (q|k|v, w1|w3): each output row is still its own
// dot products, so stacking changes no arithmetic.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "exec/cpu/quant_dot.h"
#include "exec/cpu/thread_pool.h"
#include "model/model.h"

namespace cacheopt {

enum class GemmMode : int8_t {
  kInvariant,  // own packed kernel: a row's outputs never depend on the batch
  kOpenBlas,   // cblas_sgemm: fast on well-detected CPUs, NOT batch-invariant
};

// `rows` rows of a row-major [rows][k] matrix, owned by the caller (the Model).
// When `quant` is set and not empty, the matrix is that instead of `data`.
struct WeightPart {
  const float* data = nullptr;
  int32_t rows = 0;
  const QuantMatrix* quant = nullptr;
};

class Linear {
 public:
  Linear() = default;
  // W = parts stacked, [n][k]. kInvariant packs a copy; kOpenBlas keeps the
  // pointers, which must outlive the layer.
  //
  // With quantized parts, each part is its own segment of output columns:
  // Q8_0/Q4_0/K-quant parts run the quantized kernel on the blocks in place
  // (quant_dot.h; x is quantized to 8 bits per row, as llama.cpp does, so
  // still batch-invariant), and the rest (fp32, or F16/BF16 widened once)
  // run the float kernel of `mode`.
  Linear(std::vector<WeightPart> parts, int32_t k, GemmMode mode);

  int32_t n() const { return n_; }
  int32_t k() const { return k_; }

  // y[r][0..n) = x[r][0..k) * W^T for r < rows. `pool` may be null.
  void Apply(const float* x, int64_t ldx, int32_t rows, float* y, int64_t ldy, ThreadPool* pool) const;

 private:
  void ApplyPacked(const float* x, int64_t ldx, int32_t rows, float* y, int64_t ldy, ThreadPool* pool) const;
  void ApplyBlas(const float* x, int64_t ldx, int32_t rows, float* y, int64_t ldy) const;
  void ApplySegments(const float* x, int64_t ldx, int32_t rows, float* y, int64_t ldy, ThreadPool* pool) const;

  // A segment of output columns when any part is quantized.
  struct Segment {
    int32_t col0 = 0;
    const QuantMatrix* quant = nullptr;   // quantized kernel, or
    std::shared_ptr<const Linear> dense;  // a float layer for this part
    std::shared_ptr<const std::vector<float>> widened;  // F16/BF16 rows as fp32
  };
  std::vector<Segment> segments_;
  // Activation rows quantized per block size (32, 256); reused across calls.
  mutable QuantizedActs acts32_, acts256_;

  GemmMode mode_ = GemmMode::kInvariant;
  int32_t n_ = 0;
  int32_t k_ = 0;
  std::vector<WeightPart> parts_;
  std::vector<float> packed_;  // [n/16 panels][k][16], zero-padded columns
};

}  // namespace cacheopt
