#include "cacheopt/random/distributions.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace cacheopt {
namespace {

constexpr int kDraws = 100000;

struct Moments {
  double mean = 0;
  double var = 0;
};

template <typename Draw>
Moments Sample(Draw draw, int n = kDraws) {
  double sum = 0, sum2 = 0;
  for (int i = 0; i < n; ++i) {
    const double x = draw();
    sum += x;
    sum2 += x * x;
  }
  Moments m;
  m.mean = sum / n;
  m.var = sum2 / n - m.mean * m.mean;
  return m;
}

TEST(DistributionsTest, UniformDoubleFixedFirstValues) {
  Rng rng(42);
  EXPECT_DOUBLE_EQ(UniformDouble(rng), 0.08386297105988216);
  EXPECT_DOUBLE_EQ(UniformDouble(rng), 0.3789802506626686);
}

TEST(DistributionsTest, UniformDoubleMoments) {
  Rng rng(1);
  double lo = 1, hi = 0;
  const Moments m = Sample([&] {
    const double u = UniformDouble(rng);
    lo = std::min(lo, u);
    hi = std::max(hi, u);
    return u;
  });
  EXPECT_GE(lo, 0.0);
  EXPECT_LT(hi, 1.0);
  EXPECT_NEAR(m.mean, 0.5, 0.005);
  EXPECT_NEAR(m.var, 1.0 / 12, 0.002);
}

TEST(DistributionsTest, UniformIntCoversRangeEvenly) {
  Rng rng(2);
  std::vector<int> counts(7, 0);
  for (int i = 0; i < 70000; ++i) ++counts[UniformInt(rng, 7)];
  for (int c : counts) EXPECT_NEAR(c, 10000, 400);
  EXPECT_EQ(UniformInt(rng, 1), 0u);
}

TEST(DistributionsTest, UniformIntHugeRangeIsUnbiased) {
  // n = 3 * 2^62: a bare modulo would give [0, 2^62) twice the weight.
  Rng rng(3);
  const uint64_t n = 3ULL << 62;
  int low = 0;
  for (int i = 0; i < 30000; ++i) low += UniformInt(rng, n) < (1ULL << 62);
  EXPECT_NEAR(low, 10000, 400);
}

TEST(DistributionsTest, ExponentialMoments) {
  Rng rng(4);
  const Moments m = Sample([&] { return Exponential(rng, 2.0); });
  EXPECT_NEAR(m.mean, 0.5, 0.01);
  EXPECT_NEAR(m.var, 0.25, 0.01);
}

TEST(DistributionsTest, NormalMoments) {
  Rng rng(5);
  const Moments m = Sample([&] { return Normal(rng, 3.0, 2.0); });
  EXPECT_NEAR(m.mean, 3.0, 0.02);
  EXPECT_NEAR(m.var, 4.0, 0.08);
}

TEST(DistributionsTest, LogNormalMoments) {
  Rng rng(6);
  const double mu = 1.0, sigma = 0.5;
  const Moments m = Sample([&] { return LogNormal(rng, mu, sigma); });
  const double mean = std::exp(mu + sigma * sigma / 2);
  const double var = (std::exp(sigma * sigma) - 1) * mean * mean;
  EXPECT_NEAR(m.mean / mean, 1.0, 0.01);
  EXPECT_NEAR(m.var / var, 1.0, 0.05);
}

class GammaTest : public ::testing::TestWithParam<double> {};

TEST_P(GammaTest, MeanAndCv) {
  const double shape = GetParam(), scale = 0.7;
  Rng rng(7);
  const Moments m = Sample([&] { return Gamma(rng, shape, scale); });
  const double cv = std::sqrt(m.var) / m.mean;
  EXPECT_NEAR(m.mean / (shape * scale), 1.0, 0.03);
  // Sample CV converges slowly for heavy-tailed small shapes.
  EXPECT_NEAR(cv * std::sqrt(shape), 1.0, 0.05);
}

INSTANTIATE_TEST_SUITE_P(Shapes, GammaTest,
                         ::testing::Values(1.0 / 9, 0.5, 1.0 / 1.21, 1.0, 2.5, 10.0));

TEST(DistributionsTest, GammaIsPositive) {
  Rng rng(8);
  for (int i = 0; i < 10000; ++i) ASSERT_GE(Gamma(rng, 0.05, 1.0), 0.0);
}

TEST(DistributionsTest, ShuffleIsPermutationAndDeterministic) {
  std::vector<int> a(100), b(100);
  std::iota(a.begin(), a.end(), 0);
  std::iota(b.begin(), b.end(), 0);
  Rng r1(9), r2(9);
  Shuffle(r1, std::span<int>(a));
  Shuffle(r2, std::span<int>(b));
  EXPECT_EQ(a, b);
  std::vector<int> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 100; ++i) ASSERT_EQ(sorted[i], i);
  std::vector<int> identity(100);
  std::iota(identity.begin(), identity.end(), 0);
  EXPECT_NE(a, identity);
}

TEST(DistributionsTest, ShuffleIsUniformOverPositions) {
  // Item 0 should land in each of 5 slots 1/5 of the time.
  Rng rng(10);
  std::vector<int> where(5, 0);
  for (int t = 0; t < 50000; ++t) {
    std::vector<int> v = {0, 1, 2, 3, 4};
    Shuffle(rng, std::span<int>(v));
    ++where[std::find(v.begin(), v.end(), 0) - v.begin()];
  }
  for (int c : where) EXPECT_NEAR(c, 10000, 400);
}

}  // namespace
}  // namespace cacheopt
