#include "exec/cpu/linear.h"

#include <cblas.h>

#include <algorithm>
#include <cassert>

#include "exec/cpu/gemm_kernel.h"
#include "model/ggml_blocks.h"

namespace cacheopt {
namespace {

// Rows per work item: a multiple of the register tile, small enough that the
// item's rows of x stay in L2 while its panel streams through.
constexpr int32_t kRowBlock = 16 * kTileRows;
// Below this many multiply-adds a thread hand-off costs more than it saves
// (a hand-off to a polling worker is about a microsecond: thread_pool.h).
constexpr int64_t kParallelMacs = int64_t{1} << 15;

}  // namespace

Linear::Linear(std::vector<WeightPart> parts, int32_t k, GemmMode mode)
    : mode_(mode), k_(k), parts_(std::move(parts)) {
  for (const WeightPart& p : parts_) n_ += p.rows;
  bool any_quant = false;
  for (const WeightPart& p : parts_) any_quant = any_quant || (p.quant != nullptr && !p.quant->empty());
  if (any_quant) {
    int32_t col = 0;
    for (const WeightPart& p : parts_) {
      Segment s;
      s.col0 = col;
      col += p.rows;
      if (p.quant == nullptr || p.quant->empty()) {
        s.dense = std::make_shared<const Linear>(std::vector<WeightPart>{{p.data, p.rows}}, k_, mode_);
      } else if (ActBlockFor(p.quant->type) > 0) {
        assert(p.quant->rows == p.rows && p.quant->cols == k_);
        s.quant = p.quant;
      } else {
        auto wide = std::make_shared<std::vector<float>>(static_cast<size_t>(p.rows) * k_);
        for (int32_t r = 0; r < p.rows; ++r)
          DequantizeRow(p.quant->type, p.quant->row(r), wide->data() + static_cast<size_t>(r) * k_, k_);
        s.widened = wide;
        s.dense = std::make_shared<const Linear>(std::vector<WeightPart>{{wide->data(), p.rows}}, k_, mode_);
      }
      segments_.push_back(std::move(s));
    }
    return;
  }
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
  if (!segments_.empty()) {
    ApplySegments(x, ldx, rows, y, ldy, pool);
  } else if (mode_ == GemmMode::kInvariant) {
    ApplyPacked(x, ldx, rows, y, ldy, pool);
  } else {
    ApplyBlas(x, ldx, rows, y, ldy);
  }
}

void Linear::ApplyPacked(const float* x, int64_t ldx, int32_t rows, float* y, int64_t ldy, ThreadPool* pool) const {
  const int32_t panels = (n_ + kPanelWidth - 1) / kPanelWidth;
  const int32_t row_blocks = (rows + kRowBlock - 1) / kRowBlock;
  // With a few rows, items are groups of panels (PanelGroupKernel: same bits,
  // more independent chains); else one panel each.
  const int32_t per_item = rows <= kGroupMaxRows ? kGroupPanels : 1;
  const int32_t groups = (panels + per_item - 1) / per_item;
  // Items are (row block, panel group); each writes its own cells of y,
  // computed the same way whichever thread takes it.
  auto item = [&](int64_t i) {
    const int32_t rb = static_cast<int32_t>(i / groups);
    const int32_t p = static_cast<int32_t>(i % groups) * per_item;
    const int32_t r0 = rb * kRowBlock;
    const int32_t nr = std::min(kRowBlock, rows - r0);
    const int32_t c0 = p * kPanelWidth;
    PanelGroupKernel(x + r0 * ldx, ldx, nr, packed_.data() + static_cast<size_t>(p) * k_ * kPanelWidth,
                     std::min(per_item, panels - p), k_, y + r0 * ldy + c0, ldy,
                     std::min(per_item * kPanelWidth, n_ - c0));
  };
  const int64_t items = static_cast<int64_t>(row_blocks) * groups;
  if (pool == nullptr || static_cast<int64_t>(rows) * n_ * k_ < kParallelMacs) {
    for (int64_t i = 0; i < items; ++i) item(i);
  } else {
    pool->ParallelFor(items, item);
  }
}

void Linear::ApplySegments(const float* x, int64_t ldx, int32_t rows, float* y, int64_t ldy,
                           ThreadPool* pool) const {
  bool need32 = false, need256 = false;
  for (const Segment& s : segments_) {
    if (s.dense) {
      s.dense->Apply(x, ldx, rows, y + s.col0, ldy, pool);
      continue;
    }
    (ActBlockFor(s.quant->type) == 32 ? need32 : need256) = true;
  }
  if (need32) acts32_.Quantize(x, ldx, rows, k_, 32);
  if (need256) acts256_.Quantize(x, ldx, rows, k_, kQkK);
  // Items are (segment, column block, row block); each output cell is one
  // QuantDot of its weight row and activation row, whoever computes it.
  constexpr int32_t kCols = 16, kRows = 32;
  struct Item {
    const Segment* seg;
    int32_t c0, r0;
  };
  std::vector<Item> items;
  int64_t macs = 0;
  for (const Segment& s : segments_) {
    if (!s.quant) continue;
    macs += static_cast<int64_t>(rows) * s.quant->rows * k_;
    for (int32_t c = 0; c < s.quant->rows; c += kCols)
      for (int32_t r = 0; r < rows; r += kRows) items.push_back({&s, c, r});
  }
  auto run = [&](int64_t i) {
    const Item& it = items[static_cast<size_t>(i)];
    const QuantMatrix& m = *it.seg->quant;
    const QuantizedActs& acts = ActBlockFor(m.type) == 32 ? acts32_ : acts256_;
    const int32_t c1 = std::min(m.rows, it.c0 + kCols), r1 = std::min(rows, it.r0 + kRows);
    QuantDotTile(m.type, m.row(it.c0), m.row_bytes, c1 - it.c0, acts, it.r0, r1, k_,
                 y + it.seg->col0 + it.c0 + it.r0 * ldy, ldy);
  };
  const auto n_items = static_cast<int64_t>(items.size());
  if (pool == nullptr || macs < kParallelMacs) {
    for (int64_t i = 0; i < n_items; ++i) run(i);
  } else {
    pool->ParallelFor(n_items, run);
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
