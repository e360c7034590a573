#include "exec/cpu/quant_dot.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "exec/cpu/linear.h"
#include "model/ggml_blocks.h"
#include "model/gguf_types.h"
#include "model/half.h"

namespace cacheopt {
namespace {

constexpr uint32_t kTypes[] = {kGgmlQ8_0, kGgmlQ4_0, kGgmlQ5_0, kGgmlQ5_1, kGgmlQ4_K, kGgmlQ5_K, kGgmlQ6_K};

std::vector<KernelIsa> Isas() {
  std::vector<KernelIsa> v = {KernelIsa::kPortable};
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))
    v.push_back(KernelIsa::kAvx2);
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vl"))
    v.push_back(KernelIsa::kAvx512);
  return v;
}

std::vector<float> Gaussian(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = g(rng);
  return v;
}

QuantMatrix QuantizeMatrix(uint32_t type, const std::vector<float>& w, int32_t rows, int32_t cols) {
  QuantMatrix q;
  q.type = type;
  q.rows = rows;
  q.cols = cols;
  q.row_bytes = *GgmlRowBytes(type, cols);
  q.data.resize(q.row_bytes * rows);
  for (int32_t r = 0; r < rows; ++r) QuantizeRow(type, &w[static_cast<size_t>(r) * cols], q.data.data() + r * q.row_bytes, cols);
  return q;
}

// The kernel against the dequantized reference: exactly sum(deq(w) * deq(x))
// up to float rounding (activations quantized to 8 bits, as the kernel does),
// and near sum(deq(w) * x) within that quantization's error; and every path
// gives the same bits.
TEST(QuantDot, MatchesDequantizedReferenceOnEveryPath) {
  for (uint32_t type : kTypes) {
    const int32_t block = ActBlockFor(type);
    for (int32_t k : {block == 32 ? 288 : 256, 768}) {
      const int32_t rows = 5;
      const std::vector<float> w = Gaussian(static_cast<size_t>(rows) * k, 1 + type);
      const std::vector<float> x = Gaussian(k, 100 + type);
      const QuantMatrix q = QuantizeMatrix(type, w, rows, k);
      QuantizedActs acts;
      acts.Quantize(x.data(), k, 1, k, block);
      const ActRowView a = acts.Row(0);
      std::vector<float> wd(k);
      for (int32_t r = 0; r < rows; ++r) {
        DequantizeRow(type, q.row(r), wd.data(), k);
        double exact = 0, magnitude = 0, vs_float = 0, act_err = 0;
        for (int32_t i = 0; i < k; ++i) {
          const double xq = static_cast<double>(a.d[i / block]) * a.q[i];
          exact += wd[i] * xq;
          magnitude += std::fabs(wd[i] * xq);
          vs_float += static_cast<double>(wd[i]) * x[i];
          act_err += std::fabs(wd[i]) * 0.5 * a.d[i / block];  // |x - xq| <= d/2
        }
        // Q5_1's min multiplies ggml's half-rounded s = d * sum(q), not the
        // exact sum: the reference takes the same s.
        if (type == kGgmlQ5_1) {
          for (int32_t b = 0; b < k / 32; ++b) {
            uint16_t mh;
            std::memcpy(&mh, q.row(r) + 24 * b + 2, 2);
            double sum_xq = 0;
            for (int32_t i = 32 * b; i < 32 * b + 32; ++i) sum_xq += static_cast<double>(a.d[b]) * a.q[i];
            exact += HalfToFloat(mh) * (a.s[b] - sum_xq);
          }
        }
        const float first = QuantDotWith(KernelIsa::kPortable, type, q.row(r), a, k);
        EXPECT_NEAR(first, exact, 1e-5 * magnitude) << GgmlTypeName(type) << " k=" << k << " row " << r;
        EXPECT_NEAR(first, vs_float, act_err + 1e-5 * magnitude) << GgmlTypeName(type);
        for (KernelIsa isa : Isas()) {
          const float v = QuantDotWith(isa, type, q.row(r), a, k);
          EXPECT_EQ(std::memcmp(&v, &first, 4), 0)
              << GgmlTypeName(type) << " k=" << k << " " << KernelIsaName(isa) << ": " << v << " vs " << first;
        }
      }
    }
  }
}

// A tile (weight rows x activation rows, one dispatch) gives each cell
// QuantDot's bits (the one-row kernel of this CPU's path) and the portable
// definition's, for every type, every count of activation rows 1..9 (so the
// multi-row kernels' groups of four and every ragged tail of one to three),
// row offsets, an odd column count, and k with an odd number of blocks.
TEST(QuantDot, TileEqualsQuantDotPerCell) {
  for (uint32_t type : kTypes) {
    const int32_t block = ActBlockFor(type);
    for (int32_t k : {block == 32 ? 288 : 512, block == 32 ? 96 : 768}) {
      const int32_t cols = 7, rows = 11;
      const QuantMatrix q = QuantizeMatrix(type, Gaussian(static_cast<size_t>(cols) * k, 3 + type), cols, k);
      const std::vector<float> x = Gaussian(static_cast<size_t>(rows) * k, 200 + type);
      QuantizedActs acts;
      acts.Quantize(x.data(), k, rows, k, block);
      for (int32_t r0 : {0, 2})
        for (int32_t n = 1; n <= 9; ++n) {
          const int32_t r1 = r0 + n;
          const int64_t ldy = cols + 3;
          std::vector<float> y(static_cast<size_t>(n * ldy), -1.0f);
          QuantDotTile(type, q.row(0), q.row_bytes, cols, acts, r0, r1, k, y.data(), ldy);
          for (int32_t r = r0; r < r1; ++r)
            for (int32_t c = 0; c < cols; ++c) {
              const float want = QuantDot(type, q.row(c), acts.Row(r), k);
              const float portable = QuantDotWith(KernelIsa::kPortable, type, q.row(c), acts.Row(r), k);
              const float got = y[static_cast<size_t>((r - r0) * ldy + c)];
              ASSERT_EQ(std::memcmp(&got, &want, 4), 0)
                  << GgmlTypeName(type) << " k " << k << " rows " << r0 << ".." << r1 << " r " << r << " c " << c;
              ASSERT_EQ(std::memcmp(&got, &portable, 4), 0) << GgmlTypeName(type) << " vs portable, r " << r;
            }
          for (int32_t c = cols; c < ldy; ++c) ASSERT_EQ(y[static_cast<size_t>(c)], -1.0f) << "wrote past the tile";
        }
    }
  }
}

// Extreme blocks: all-max weights and activations (integer lanes at their
// bounds must not saturate), and an all-zero activation row.
TEST(QuantDot, ExtremeValuesStayExact) {
  for (uint32_t type : kTypes) {
    const int32_t k = 512, block = ActBlockFor(type);
    std::vector<float> w(k), x(k, 1.0f);
    for (int32_t i = 0; i < k; ++i) w[i] = (i % 3 == 0) ? -1.0f : 1.0f;
    const QuantMatrix q = QuantizeMatrix(type, w, 1, k);
    std::vector<float> wd(k);
    DequantizeRow(type, q.row(0), wd.data(), k);
    for (float sign : {1.0f, -1.0f}) {
      std::vector<float> xs = x;
      for (float& v : xs) v *= sign;
      QuantizedActs acts;
      acts.Quantize(xs.data(), k, 1, k, block);
      double exact = 0;
      for (int32_t i = 0; i < k; ++i) exact += static_cast<double>(wd[i]) * xs[i];
      for (KernelIsa isa : Isas())
        EXPECT_NEAR(QuantDotWith(isa, type, q.row(0), acts.Row(0), k), exact, 1e-4 * k) << GgmlTypeName(type);
    }
    std::vector<float> zero(k, 0.0f);
    QuantizedActs acts;
    acts.Quantize(zero.data(), k, 1, k, block);
    for (KernelIsa isa : Isas()) EXPECT_EQ(QuantDotWith(isa, type, q.row(0), acts.Row(0), k), 0.0f);
  }
}

// A row's outputs are the same bits alone, at any position of any batch,
// with or without the thread pool, for every type; mixed parts included.
TEST(QuantLinear, BatchInvariantForEveryType) {
  const int32_t k = 512, n = 40;
  ThreadPool pool(2);
  for (uint32_t type : {kGgmlQ8_0, kGgmlQ4_0, kGgmlQ5_0, kGgmlQ5_1, kGgmlQ4_K, kGgmlQ5_K, kGgmlQ6_K, kGgmlBF16}) {
    const std::vector<float> w = Gaussian(static_cast<size_t>(n) * k, 3 + type);
    const QuantMatrix q1 = QuantizeMatrix(type, std::vector<float>(w.begin(), w.begin() + 24 * k), 24, k);
    const QuantMatrix q2 = QuantizeMatrix(kGgmlQ6_K, std::vector<float>(w.begin() + 24 * k, w.end()), 16, k);
    const Linear lin({{nullptr, 24, &q1}, {nullptr, 16, &q2}}, k, GemmMode::kInvariant);
    const int32_t rows = 70;  // more than one row block
    const std::vector<float> x = Gaussian(static_cast<size_t>(rows) * k, 9);
    std::vector<float> all(static_cast<size_t>(rows) * n), one(n);
    lin.Apply(x.data(), k, rows, all.data(), n, &pool);
    for (int32_t r : {0, 1, 33, 69}) {
      lin.Apply(x.data() + static_cast<size_t>(r) * k, k, 1, one.data(), n, nullptr);
      EXPECT_EQ(std::memcmp(one.data(), all.data() + static_cast<size_t>(r) * n, sizeof(float) * n), 0)
          << GgmlTypeName(type) << " row " << r;
    }
    // The same row inside a batch of 3, at the middle.
    std::vector<float> three(3 * static_cast<size_t>(k));
    for (int i = 0; i < 3; ++i) std::memcpy(&three[i * k], x.data() + static_cast<size_t>(33 + i - 1) * k, sizeof(float) * k);
    std::vector<float> y3(3 * n);
    lin.Apply(three.data(), k, 3, y3.data(), n, &pool);
    EXPECT_EQ(std::memcmp(y3.data() + n, all.data() + 33 * n, sizeof(float) * n), 0) << GgmlTypeName(type);
  }
}

}  // namespace
}  // namespace cacheopt
