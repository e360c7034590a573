#include "calibration/least_squares.h"

#include <gtest/gtest.h>

namespace cacheopt {
namespace {

TEST(LeastSquaresTest, RecoversExactCoefficientsOfWildlyScaledColumns) {
  std::vector<std::vector<double>> x;
  std::vector<double> y, w;
  for (int i = 1; i <= 50; ++i) {
    const double big = 1e11 * i * i, mid = 1e6 * (i % 7);
    x.push_back({1, mid, big});
    y.push_back(2e-5 + 3e-12 * mid + 1.0 / 150e12 * big);
    w.push_back(1 / (y.back() * y.back()));
  }
  Result<std::vector<double>> b = WeightedLeastSquares(x, y, w);
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_NEAR((*b)[0] / 2e-5, 1, 1e-6);
  EXPECT_NEAR((*b)[1] / 3e-12, 1, 1e-6);
  EXPECT_NEAR((*b)[2] * 150e12, 1, 1e-6);
}

TEST(LeastSquaresTest, RejectsSingularAndMismatchedInput) {
  EXPECT_FALSE(WeightedLeastSquares({{1, 2}, {2, 4}, {3, 6}}, {1, 2, 3}, {1, 1, 1}).ok());
  EXPECT_FALSE(WeightedLeastSquares({{1, 0}, {1, 0}}, {1, 2}, {1, 1}).ok());
  EXPECT_FALSE(WeightedLeastSquares({{1}}, {1, 2}, {1}).ok());
}

}  // namespace
}  // namespace cacheopt
