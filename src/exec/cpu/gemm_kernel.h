// The batch-invariant matrix-multiply kernel: y = x * W^T over one panel of
// 16 output columns. Each output element is ONE accumulator summed over k in
// ascending order (a fused multiply-add per step on AVX2+FMA and AVX-512
// machines, a multiply then an add elsewhere), whatever the number of rows,
// the row's position in the batch or the tile it falls in. So a token's outputs are
// bitwise the same alone or in any batch: OpenBLAS 0.3.21 does not give that
// (its results for a row change with M and with the row's tile).
#pragma once

#include <cstdint>

namespace cacheopt {

inline constexpr int32_t kPanelWidth = 16;  // output columns per packed panel
inline constexpr int32_t kTileRows = 6;     // rows per register tile (AVX2; AVX-512 takes 12)

// y[r][c] = sum_k x[r][k] * panel[k][c] for r < rows, c < cols (<= 16).
// `panel` is W^T for 16 columns, [k][16], zero-padded past the last column.
void PanelKernel(const float* x, int64_t ldx, int32_t rows, const float* panel, int32_t k, float* y,
                 int64_t ldy, int32_t cols);

// PanelKernel over `npanels` consecutive packed panels (panel p at
// panels + p * k * 16, its outputs at y + 16 p; `cols` outputs in all, the
// last panel possibly short): the same bits as one PanelKernel call per
// panel. With few rows (a decode step of a few sequences) one panel gives a
// single chain of dependent fused multiply-adds per row, bound by their
// latency; on AVX-512 this runs kGroupPanels panels side by side instead, so
// 4-16 independent chains are in flight (each element's chain unchanged).
inline constexpr int32_t kGroupPanels = 4;
inline constexpr int32_t kGroupMaxRows = 4;  // rows up to which grouping pays
void PanelGroupKernel(const float* x, int64_t ldx, int32_t rows, const float* panels, int32_t npanels, int32_t k,
                      float* y, int64_t ldy, int32_t cols);

// The kernel's instruction-set paths. AVX-512 and AVX2+FMA give the same bits
// (one fused multiply-add per element per k, in the same order); the
// portable path multiplies then adds, so it differs from them.
enum class KernelIsa : int8_t { kPortable, kAvx2, kAvx512 };

// The best path this CPU runs (decided once per process), and its name.
KernelIsa BestKernelIsa();
const char* KernelIsaName(KernelIsa isa);
// True when the kernel uses fused multiply-adds (AVX2+FMA or AVX-512).
bool KernelUsesAvx2();

// PanelKernel on a given path, which this CPU must support (tests).
void PanelKernelWith(KernelIsa isa, const float* x, int64_t ldx, int32_t rows, const float* panel, int32_t k,
                     float* y, int64_t ldy, int32_t cols);

}  // namespace cacheopt
