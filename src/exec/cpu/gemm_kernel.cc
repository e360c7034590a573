#include "exec/cpu/gemm_kernel.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace cacheopt {
namespace {

// RT rows x 16 columns in 2*RT ymm accumulators, over k in [0, k). With
// `resume` the accumulators start from y (the sum so far over earlier k
// blocks: a float stored and reloaded is exact, so blocking k changes no bit).
// Every instantiation performs the same per-element operation sequence
// (intrinsics are never re-fused or reordered), so edge tiles match full ones.
template <int RT>
__attribute__((target("avx2,fma"))) void TileAvx2(const float* x, int64_t ldx, const float* panel, int32_t k,
                                                   float* y, int64_t ldy, int32_t cols, bool resume) {
  // Fully unrolled, so the accumulators live in registers (at -O2 GCC
  // would otherwise keep the array on the stack).
  __m256 acc[RT][2];
#pragma GCC unroll 8
  for (int r = 0; r < RT; ++r) {
    if (!resume) {
      acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    } else if (cols == kPanelWidth) {
      acc[r][0] = _mm256_loadu_ps(y + r * ldy);
      acc[r][1] = _mm256_loadu_ps(y + r * ldy + 8);
    } else {
      alignas(32) float tmp[kPanelWidth] = {};
      std::memcpy(tmp, y + r * ldy, sizeof(float) * cols);
      acc[r][0] = _mm256_load_ps(tmp);
      acc[r][1] = _mm256_load_ps(tmp + 8);
    }
  }
  for (int32_t kk = 0; kk < k; ++kk) {
    __m256 w0 = _mm256_loadu_ps(panel + kk * kPanelWidth);
    __m256 w1 = _mm256_loadu_ps(panel + kk * kPanelWidth + 8);
#pragma GCC unroll 8
    for (int r = 0; r < RT; ++r) {
      __m256 xb = _mm256_broadcast_ss(x + r * ldx + kk);
      acc[r][0] = _mm256_fmadd_ps(xb, w0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(xb, w1, acc[r][1]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < RT; ++r) {
    if (cols == kPanelWidth) {
      _mm256_storeu_ps(y + r * ldy, acc[r][0]);
      _mm256_storeu_ps(y + r * ldy + 8, acc[r][1]);
    } else {
      alignas(32) float tmp[kPanelWidth];
      _mm256_store_ps(tmp, acc[r][0]);
      _mm256_store_ps(tmp + 8, acc[r][1]);
      std::memcpy(y + r * ldy, tmp, sizeof(float) * cols);
    }
  }
}

// k in blocks that keep the panel's slice (16 KB) in L1 while the rows'
// slices stay in L2.
constexpr int32_t kDepthBlock = 256;

__attribute__((target("avx2,fma"))) void KernelAvx2(const float* x, int64_t ldx, int32_t rows, const float* panel,
                                                     int32_t k, float* y, int64_t ldy, int32_t cols) {
  for (int32_t k0 = 0; k0 < k; k0 += kDepthBlock) {
    const int32_t kc = std::min(kDepthBlock, k - k0);
    const float* pk = panel + static_cast<int64_t>(k0) * kPanelWidth;
    const bool resume = k0 > 0;
    int32_t r = 0;
    for (; r + kTileRows <= rows; r += kTileRows)
      TileAvx2<kTileRows>(x + r * ldx + k0, ldx, pk, kc, y + r * ldy, ldy, cols, resume);
    const float* xr = x + r * ldx + k0;
    float* yr = y + r * ldy;
    switch (rows - r) {
      case 1: TileAvx2<1>(xr, ldx, pk, kc, yr, ldy, cols, resume); break;
      case 2: TileAvx2<2>(xr, ldx, pk, kc, yr, ldy, cols, resume); break;
      case 3: TileAvx2<3>(xr, ldx, pk, kc, yr, ldy, cols, resume); break;
      case 4: TileAvx2<4>(xr, ldx, pk, kc, yr, ldy, cols, resume); break;
      case 5: TileAvx2<5>(xr, ldx, pk, kc, yr, ldy, cols, resume); break;
      default: break;
    }
  }
}

// The AVX-512 form of TileAvx2: one zmm accumulator per row holds all 16
// columns, and each element still gets one fused multiply-add per k in
// ascending order from 0 (or from the stored partial sum), so its bits equal
// the AVX2 path's. Short panels load and store through a column mask.
template <int RT>
__attribute__((target("avx512f"))) void TileAvx512(const float* x, int64_t ldx, const float* panel, int32_t k,
                                                    float* y, int64_t ldy, int32_t cols, bool resume) {
  const __mmask16 mask = static_cast<__mmask16>((1u << cols) - 1u);
  __m512 acc[RT];
#pragma GCC unroll 16
  for (int r = 0; r < RT; ++r) acc[r] = resume ? _mm512_maskz_loadu_ps(mask, y + r * ldy) : _mm512_setzero_ps();
  for (int32_t kk = 0; kk < k; ++kk) {
    const __m512 w = _mm512_loadu_ps(panel + kk * kPanelWidth);
#pragma GCC unroll 16
    for (int r = 0; r < RT; ++r) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(x[r * ldx + kk]), w, acc[r]);
  }
#pragma GCC unroll 16
  for (int r = 0; r < RT; ++r) _mm512_mask_storeu_ps(y + r * ldy, mask, acc[r]);
}

constexpr int kTileRowsAvx512 = 12;

// RT rows x NP panels, whole k (a float stored and reloaded between k blocks
// is exact, so not blocking k changes no bit): per element, the same fused
// multiply-adds in the same order as TileAvx512.
template <int RT, int NP>
__attribute__((target("avx512f"))) void GroupTileAvx512(const float* x, int64_t ldx, const float* panels, int32_t k,
                                                         float* y, int64_t ldy, int32_t last_cols) {
  const int64_t stride = static_cast<int64_t>(k) * kPanelWidth;
  __m512 acc[RT][NP];
#pragma GCC unroll 16
  for (int r = 0; r < RT; ++r)
#pragma GCC unroll 16
    for (int p = 0; p < NP; ++p) acc[r][p] = _mm512_setzero_ps();
  for (int32_t kk = 0; kk < k; ++kk) {
    __m512 w[NP];
#pragma GCC unroll 16
    for (int p = 0; p < NP; ++p) w[p] = _mm512_loadu_ps(panels + p * stride + kk * kPanelWidth);
#pragma GCC unroll 16
    for (int r = 0; r < RT; ++r) {
      const __m512 xb = _mm512_set1_ps(x[r * ldx + kk]);
#pragma GCC unroll 16
      for (int p = 0; p < NP; ++p) acc[r][p] = _mm512_fmadd_ps(xb, w[p], acc[r][p]);
    }
  }
  const __mmask16 last = static_cast<__mmask16>((1u << last_cols) - 1u);
#pragma GCC unroll 16
  for (int r = 0; r < RT; ++r)
#pragma GCC unroll 16
    for (int p = 0; p < NP; ++p)
      _mm512_mask_storeu_ps(y + r * ldy + p * kPanelWidth, p == NP - 1 ? last : static_cast<__mmask16>(0xffff),
                            acc[r][p]);
}

__attribute__((target("avx512f"))) void KernelAvx512(const float* x, int64_t ldx, int32_t rows, const float* panel,
                                                      int32_t k, float* y, int64_t ldy, int32_t cols) {
  for (int32_t k0 = 0; k0 < k; k0 += kDepthBlock) {
    const int32_t kc = std::min(kDepthBlock, k - k0);
    const float* pk = panel + static_cast<int64_t>(k0) * kPanelWidth;
    const bool resume = k0 > 0;
    int32_t r = 0;
    for (; r + kTileRowsAvx512 <= rows; r += kTileRowsAvx512)
      TileAvx512<kTileRowsAvx512>(x + r * ldx + k0, ldx, pk, kc, y + r * ldy, ldy, cols, resume);
    const float* xr = x + r * ldx + k0;
    float* yr = y + r * ldy;
    switch (rows - r) {
      case 1: TileAvx512<1>(xr, ldx, pk, kc, yr, ldy, cols, resume); break;
      case 2: TileAvx512<2>(xr, ldx, pk, kc, yr, ldy, cols, resume); break;
      case 3: TileAvx512<3>(xr, ldx, pk, kc, yr, ldy, cols, resume); break;
      case 4: TileAvx512<4>(xr, ldx, pk, kc, yr, ldy, cols, resume); break;
      case 5: TileAvx512<5>(xr, ldx, pk, kc, yr, ldy, cols, resume); break;
      case 6: TileAvx512<6>(xr, ldx, pk, kc, yr, ldy, cols, resume); break;
      case 7: TileAvx512<7>(xr, ldx, pk, kc, yr, ldy, cols, resume); break;
      case 8: TileAvx512<8>(xr, ldx, pk, kc, yr, ldy, cols, resume); break;
      case 9: TileAvx512<9>(xr, ldx, pk, kc, yr, ldy, cols, resume); break;
      case 10: TileAvx512<10>(xr, ldx, pk, kc, yr, ldy, cols, resume); break;
      case 11: TileAvx512<11>(xr, ldx, pk, kc, yr, ldy, cols, resume); break;
      default: break;
    }
  }
}

// Portable path: one full 6x16 tile body only (short tiles are zero-padded
// copies), so the compiler's choices are the same for every element.
void FullTileGeneric(const float* x, int64_t ldx, const float* panel, int32_t k, float acc[kTileRows][kPanelWidth]) {
  for (int r = 0; r < kTileRows; ++r)
    for (int c = 0; c < kPanelWidth; ++c) acc[r][c] = 0.0f;
  for (int32_t kk = 0; kk < k; ++kk) {
    const float* w = panel + kk * kPanelWidth;
    for (int r = 0; r < kTileRows; ++r) {
      float xv = x[r * ldx + kk];
      for (int c = 0; c < kPanelWidth; ++c) acc[r][c] += xv * w[c];
    }
  }
}

void KernelGeneric(const float* x, int64_t ldx, int32_t rows, const float* panel, int32_t k, float* y, int64_t ldy,
                   int32_t cols) {
  thread_local std::vector<float> pad;
  float acc[kTileRows][kPanelWidth];
  for (int32_t r = 0; r < rows; r += kTileRows) {
    int32_t n = std::min(kTileRows, rows - r);
    const float* xt = x + r * ldx;
    int64_t ld = ldx;
    if (n < kTileRows) {
      pad.assign(static_cast<size_t>(kTileRows) * k, 0.0f);
      for (int32_t i = 0; i < n; ++i) std::memcpy(pad.data() + i * k, xt + i * ldx, sizeof(float) * k);
      xt = pad.data();
      ld = k;
    }
    FullTileGeneric(xt, ld, panel, k, acc);
    for (int32_t i = 0; i < n; ++i) std::memcpy(y + (r + i) * ldy, acc[i], sizeof(float) * cols);
  }
}

}  // namespace

KernelIsa BestKernelIsa() {
  static const KernelIsa isa = [] {
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return KernelIsa::kPortable;
    return __builtin_cpu_supports("avx512f") ? KernelIsa::kAvx512 : KernelIsa::kAvx2;
  }();
  return isa;
}

bool KernelUsesAvx2() { return BestKernelIsa() != KernelIsa::kPortable; }

const char* KernelIsaName(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::kAvx512: return "AVX-512";
    case KernelIsa::kAvx2: return "AVX2+FMA";
    default: return "portable";
  }
}

void PanelKernelWith(KernelIsa isa, const float* x, int64_t ldx, int32_t rows, const float* panel, int32_t k,
                     float* y, int64_t ldy, int32_t cols) {
  switch (isa) {
    case KernelIsa::kAvx512: KernelAvx512(x, ldx, rows, panel, k, y, ldy, cols); break;
    case KernelIsa::kAvx2: KernelAvx2(x, ldx, rows, panel, k, y, ldy, cols); break;
    default: KernelGeneric(x, ldx, rows, panel, k, y, ldy, cols); break;
  }
}

void PanelGroupKernel(const float* x, int64_t ldx, int32_t rows, const float* panels, int32_t npanels, int32_t k,
                      float* y, int64_t ldy, int32_t cols) {
  if (BestKernelIsa() == KernelIsa::kAvx512 && npanels == kGroupPanels && rows >= 1 && rows <= kGroupMaxRows) {
    const int32_t last = cols - (kGroupPanels - 1) * kPanelWidth;
    switch (rows) {
      case 1: GroupTileAvx512<1, kGroupPanels>(x, ldx, panels, k, y, ldy, last); return;
      case 2: GroupTileAvx512<2, kGroupPanels>(x, ldx, panels, k, y, ldy, last); return;
      case 3: GroupTileAvx512<3, kGroupPanels>(x, ldx, panels, k, y, ldy, last); return;
      case 4: GroupTileAvx512<4, kGroupPanels>(x, ldx, panels, k, y, ldy, last); return;
      default: break;
    }
  }
  for (int32_t p = 0; p < npanels; ++p)
    PanelKernel(x, ldx, rows, panels + static_cast<int64_t>(p) * k * kPanelWidth, k, y + p * kPanelWidth, ldy,
                std::min(kPanelWidth, cols - p * kPanelWidth));
}

void PanelKernel(const float* x, int64_t ldx, int32_t rows, const float* panel, int32_t k, float* y, int64_t ldy,
                 int32_t cols) {
  PanelKernelWith(BestKernelIsa(), x, ldx, rows, panel, k, y, ldy, cols);
}

}  // namespace cacheopt
