#include "exec/cpu/linear.h"

#include <cblas.h>

#include <algorithm>
#include <cassert>

#include "exec/cpu/gemm_kernel.h"

namespace cacheopt {
namespace {

// Rows per work item: a multiple of the register tile, small enough that the
// item's rows of x stay in L2 while its panel streams through.
constexpr int32_t kRowBlock = 16 * kTileRows;
// Below this many multiply-adds a thread hand-off costs more than it saves.
constexpr int64_t kParallelMacs = int64_t{1} << 18;

}  // namespace

Linear::Linear(std::vector<WeightPart> parts, int32_t k, GemmMode mode)
    : mode_(mode), k_(k), parts_(std::move(parts)) {
  for (const WeightPart& p : parts_) n_ += p.rows;
  if (mode_ != GemmMode::kInvariant) return;
  int32_t panels = (n_ + kPanelWidth - 1) / kPanelWidth;
  packed_.assign(static_cast<size_t>(panels) * k_ * kPanelWidth, 0.0f);
  int32_t col = 0;
  for (const WeightPart& p : parts_) {
    for (int32_t r = 0; r < p.rows; ++r, ++col) {
      float* dst = packed_.data() + static_cast<size_t>(col / kPanelWidth) * k_ * kPanelWidth + col % kPanelWidth;
      const float* src = p.data + static_cast<size_t>(r) * k_;
      for (int32_t kk = 0; kk < k_; ++kk) dst[static_cast<size_t>(kk) * kPanelWidth] = src[kk];
    }
  }
}

void Linear::Apply(const float* x, int64_t ldx, int32_t rows, float* y, int64_t ldy, ThreadPool* pool) const {
  if (rows <= 0) return;
  if (mode_ == GemmMode::kInvariant) {
    ApplyPacked(x, ldx, rows, y, ldy, pool);
  } else {
    ApplyBlas(x, ldx, rows, y, ldy);
  }
}

void Linear::ApplyPacked(const float* x, int64_t ldx, int32_t rows, float* y, int64_t ldy, ThreadPool* pool) const {
  int32_t panels = (n_ + kPanelWidth - 1) / kPanelWidth;
  int32_t row_blocks = (rows + kRowBlock - 1) / kRowBlock;
  // Items are (row block, panel); each writes its own cells of y, computed
  // the same way whichever thread takes it.
  auto item = [&](int64_t i) {
    int32_t rb = static_cast<int32_t>(i / panels);
    int32_t p = static_cast<int32_t>(i % panels);
    int32_t r0 = rb * kRowBlock;
    int32_t nr = std::min(kRowBlock, rows - r0);
    int32_t c0 = p * kPanelWidth;
    PanelKernel(x + r0 * ldx, ldx, nr, packed_.data() + static_cast<size_t>(p) * k_ * kPanelWidth, k_,
                y + r0 * ldy + c0, ldy, std::min(kPanelWidth, n_ - c0));
  };
  int64_t items = static_cast<int64_t>(row_blocks) * panels;
  if (pool == nullptr || static_cast<int64_t>(rows) * n_ * k_ < kParallelMacs) {
    for (int64_t i = 0; i < items; ++i) item(i);
  } else {
    pool->ParallelFor(items, item);
  }
}

void Linear::ApplyBlas(const float* x, int64_t ldx, int32_t rows, float* y, int64_t ldy) const {
  int32_t col = 0;
  for (const WeightPart& p : parts_) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, p.rows, k_, 1.0f, x, static_cast<int>(ldx), p.data,
                k_, 0.0f, y + col, static_cast<int>(ldy));
    col += p.rows;
  }
}

}  // namespace cacheopt
