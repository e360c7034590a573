#include "exec/cpu/linear.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "exec/cpu/gemm_kernel.h"
#include "exec/cpu/sampler.h"

extern "C" char* openblas_get_corename();

namespace cacheopt {
namespace {

std::vector<float> Random(size_t n, uint64_t seed) {
  std::vector<float> v(n);
  for (float& x : v) {
    seed = SplitMixHash(seed);
    x = static_cast<float>(seed >> 40) / 8388608.0f - 1.0f;
  }
  return v;
}

struct Shape {
  int32_t n, k;
};
// Column counts off the 16-wide panels, and depths that are and are not
// multiples of anything.
const Shape kShapes[] = {{64, 64}, {172, 64}, {64, 172}, {130, 64}, {300, 768}};
const int32_t kRows[] = {1, 2, 3, 5, 6, 7, 12, 13, 64, 97, 200};

// Row `at` of a T-row batch whose other rows are noise, with row `target`
// placed at `at`.
std::vector<float> RowInBatch(const Linear& lin, const std::vector<float>& target, int32_t T, int32_t at,
                              ThreadPool* pool) {
  std::vector<float> x = Random(static_cast<size_t>(T) * lin.k(), 1000 + T * 7 + at);
  std::memcpy(&x[static_cast<size_t>(at) * lin.k()], target.data(), sizeof(float) * lin.k());
  std::vector<float> y(static_cast<size_t>(T) * lin.n());
  lin.Apply(x.data(), lin.k(), T, y.data(), lin.n(), pool);
  return {y.begin() + static_cast<size_t>(at) * lin.n(), y.begin() + static_cast<size_t>(at + 1) * lin.n()};
}

// Whether the row's output is bitwise the same for every batch size and place.
bool RowInvariant(const Linear& lin, ThreadPool* pool, std::string* where) {
  std::vector<float> target = Random(lin.k(), 7);
  std::vector<float> alone = RowInBatch(lin, target, 1, 0, pool);
  bool same = true;
  for (int32_t T : kRows) {
    for (int32_t at : {0, T / 2, T - 1}) {
      std::vector<float> got = RowInBatch(lin, target, T, at, pool);
      if (std::memcmp(got.data(), alone.data(), sizeof(float) * lin.n()) != 0) {
        same = false;
        if (where->size() < 200) *where += " T=" + std::to_string(T) + "@" + std::to_string(at);
      }
    }
  }
  return same;
}

TEST(LinearTest, MatchesNaiveDotProducts) {
  ThreadPool pool(2);
  for (const Shape& s : kShapes) {
    std::vector<float> w1 = Random(static_cast<size_t>(s.n) * s.k, 1), w2 = Random(static_cast<size_t>(5) * s.k, 2);
    Linear lin({{w1.data(), s.n}, {w2.data(), 5}}, s.k, GemmMode::kInvariant);  // two stacked parts
    ASSERT_EQ(lin.n(), s.n + 5);
    for (int32_t T : {1, 7, 97}) {
      std::vector<float> x = Random(static_cast<size_t>(T) * s.k, 3);
      std::vector<float> y(static_cast<size_t>(T) * lin.n());
      lin.Apply(x.data(), s.k, T, y.data(), lin.n(), &pool);
      for (int32_t r = 0; r < T; ++r) {
        for (int32_t c = 0; c < lin.n(); ++c) {
          const float* w = c < s.n ? &w1[static_cast<size_t>(c) * s.k] : &w2[static_cast<size_t>(c - s.n) * s.k];
          double ref = 0;
          for (int32_t k = 0; k < s.k; ++k) ref += static_cast<double>(x[r * s.k + k]) * w[k];
          ASSERT_NEAR(y[static_cast<size_t>(r) * lin.n() + c], ref, 1e-5 * s.k) << s.n << "x" << s.k;
        }
      }
    }
  }
}

TEST(LinearTest, InvariantKernelGivesTheSameBitsForAnyBatch) {
  ThreadPool pool(2);
  for (const Shape& s : kShapes) {
    std::vector<float> w = Random(static_cast<size_t>(s.n) * s.k, 11);
    Linear lin({{w.data(), s.n}}, s.k, GemmMode::kInvariant);
    std::string where;
    EXPECT_TRUE(RowInvariant(lin, &pool, &where)) << s.n << "x" << s.k << ":" << where;
    EXPECT_TRUE(RowInvariant(lin, nullptr, &where)) << s.n << "x" << s.k << " (one thread):" << where;
  }
  std::printf("[ invariant kernel path: %s ]\n", KernelIsaName(BestKernelIsa()));
}

// The AVX-512 and AVX2 paths give the same bits, so a row's outputs do not
// depend on which of the two the machine has: every row count up to two
// AVX-512 tiles and more, partial panels, depths across the k blocks.
TEST(LinearTest, Avx512PathMatchesAvx2Bitwise) {
  if (BestKernelIsa() != KernelIsa::kAvx512) GTEST_SKIP() << "no AVX-512 here";
  for (int32_t k : {1, 64, 255, 256, 257, 700}) {
    std::vector<float> panel = Random(static_cast<size_t>(k) * kPanelWidth, 5 + k);
    for (int32_t rows = 1; rows <= 30; ++rows) {
      std::vector<float> x = Random(static_cast<size_t>(rows) * k, 9 + rows);
      for (int32_t cols : {16, 13, 1}) {
        std::vector<float> a(static_cast<size_t>(rows) * 20, 3.0f), b = a;
        PanelKernelWith(KernelIsa::kAvx2, x.data(), k, rows, panel.data(), k, a.data(), 20, cols);
        PanelKernelWith(KernelIsa::kAvx512, x.data(), k, rows, panel.data(), k, b.data(), 20, cols);
        ASSERT_EQ(std::memcmp(a.data(), b.data(), sizeof(float) * a.size()), 0)
            << "k " << k << " rows " << rows << " cols " << cols;
      }
    }
  }
}

// The grouped kernel (a few rows over several panels at once) gives the
// per-panel kernel's bits: every row count it takes and one past, short last
// panels, depths across the k blocks.
TEST(LinearTest, PanelGroupKernelMatchesPanelKernelBitwise) {
  for (int32_t k : {1, 64, 255, 256, 257, 700}) {
    std::vector<float> panels = Random(static_cast<size_t>(k) * kPanelWidth * kGroupPanels, 21 + k);
    for (int32_t rows = 1; rows <= kGroupMaxRows + 1; ++rows) {
      std::vector<float> x = Random(static_cast<size_t>(rows) * k, 23 + rows);
      for (int32_t cols :
           {kGroupPanels * kPanelWidth, kGroupPanels * kPanelWidth - 3, (kGroupPanels - 1) * kPanelWidth + 1}) {
        const int64_t ld = kGroupPanels * kPanelWidth + 5;
        std::vector<float> a(static_cast<size_t>(rows * ld), 3.0f), b = a;
        PanelGroupKernel(x.data(), k, rows, panels.data(), kGroupPanels, k, a.data(), ld, cols);
        for (int32_t p = 0; p < kGroupPanels; ++p)
          PanelKernel(x.data(), k, rows, panels.data() + static_cast<size_t>(p) * k * kPanelWidth, k,
                      b.data() + p * kPanelWidth, ld, std::min(kPanelWidth, cols - p * kPanelWidth));
        ASSERT_EQ(std::memcmp(a.data(), b.data(), sizeof(float) * a.size()), 0)
            << "k " << k << " rows " << rows << " cols " << cols;
      }
    }
  }
}

// Not an assertion: records what OpenBLAS does, the reason the invariant
// kernel exists. (0.3.21 here: rows change with M and with their position.)
TEST(LinearTest, ReportOpenBlasRowInvariance) {
  int variant = 0;
  std::string where;
  for (const Shape& s : kShapes) {
    std::vector<float> w = Random(static_cast<size_t>(s.n) * s.k, 11);
    Linear lin({{w.data(), s.n}}, s.k, GemmMode::kOpenBlas);
    variant += !RowInvariant(lin, nullptr, &where);
  }
  std::printf("[ OpenBLAS core %s: %d of %zu shapes change a row's bits with the batch;%s ]\n",
              openblas_get_corename(), variant, std::size(kShapes), where.substr(0, 120).c_str());
}

// Speed of both paths (run with --gtest_also_run_disabled_tests).
TEST(LinearTest, DISABLED_Speed) {
  ThreadPool pool(2);
  const Shape shapes[] = {{288, 288}, {768, 768}, {2048, 768}, {768, 2048}};
  for (const Shape& s : shapes) {
    std::vector<float> w = Random(static_cast<size_t>(s.n) * s.k, 1);
    Linear inv({{w.data(), s.n}}, s.k, GemmMode::kInvariant);
    Linear blas({{w.data(), s.n}}, s.k, GemmMode::kOpenBlas);
    for (int32_t T : {1, 4, 16, 64, 256}) {
      std::vector<float> x = Random(static_cast<size_t>(T) * s.k, 2), y(static_cast<size_t>(T) * s.n);
      auto gflops = [&](const Linear& l) {
        int reps = 0;
        auto t0 = std::chrono::steady_clock::now();
        double el = 0;
        while (el < 0.2) {
          l.Apply(x.data(), s.k, T, y.data(), s.n, &pool);
          ++reps;
          el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        }
        return 2.0 * T * s.n * s.k * reps / el / 1e9;
      };
      double a = gflops(inv), b = gflops(blas);
      std::printf("n=%4d k=%4d T=%3d  invariant %6.1f GFLOP/s  openblas %6.1f GFLOP/s  ratio %.2f\n", s.n, s.k, T,
                  a, b, a / b);
    }
  }
}

}  // namespace
}  // namespace cacheopt
