#include "core/estimate/padding.h"

#include <gtest/gtest.h>

#include <cmath>

namespace cacheopt {
namespace {

// Residual quantiles q -> 100 q - 20 (so q = 0.9 gives 70, q = 0.1 gives -10).
class FakeEstimator : public OutputLengthEstimator {
 public:
  std::string_view name() const override { return "fake"; }
  LengthEstimate Estimate(const RequestSpec&, int32_t) const override { return {}; }
  void Observe(const RequestSpec&, int32_t, double) override {}
  double ResidualQuantile(double q) const override { return 100 * q - 20; }
};

LengthEstimate Est(double predicted, bool above, double r_above, double r_below) {
  LengthEstimate e;
  e.predicted = predicted;
  e.truth_above = above;
  e.range_above = r_above;
  e.range_below = r_below;
  return e;
}

TEST(HoeffdingPaddingTest, MarginByHand) {
  // t = 100 sqrt(ln(10) / 2) = 107.30 -> clamped to R.
  EXPECT_DOUBLE_EQ(HoeffdingMargin(100, 0.9, 1), 100);
  // n = 4: 100 sqrt(ln(10) / 8) = 53.649.
  EXPECT_NEAR(HoeffdingMargin(100, 0.9, 4), 53.6492, 1e-4);
  // p = 0.5, n = 1: 100 sqrt(ln(2) / 2) = 58.871 (below the clamp, which binds past p = 0.865).
  EXPECT_NEAR(HoeffdingMargin(100, 0.5, 1), 58.8705, 1e-4);
  EXPECT_LT(HoeffdingMargin(100, 0.86, 1), 100);
  EXPECT_DOUBLE_EQ(HoeffdingMargin(100, 0.87, 1), 100);
  EXPECT_DOUBLE_EQ(HoeffdingMargin(100, 1, 50), 100);
  EXPECT_DOUBLE_EQ(HoeffdingMargin(100, 0, 1), 0);
  EXPECT_DOUBLE_EQ(HoeffdingMargin(0, 0.9, 1), 0);
}

TEST(HoeffdingPaddingTest, PadsInTheExpectedDirection) {
  FakeEstimator f;
  PaddingOptions o;
  o.mode = PaddingMode::kHoeffding;
  o.hoeffding_n = 4;
  EXPECT_NEAR(PaddedLength(Est(200, true, 100, 10), f, 0.9, o, 0, 1000), 253.6492, 1e-4);
  // Below: the below range (50) gives t = 26.82.
  EXPECT_NEAR(PaddedLength(Est(200, false, 100, 50), f, 0.9, o, 0, 1000), 200 - 26.8246, 1e-4);
}

TEST(PaddingTest, ConformalAddsTheResidualQuantile) {
  FakeEstimator f;
  PaddingOptions o;
  o.mode = PaddingMode::kConformal;
  EXPECT_NEAR(PaddedLength(Est(200, false, 0, 0), f, 0.9, o, 0, 1000), 270, 1e-9);
  EXPECT_NEAR(PaddedLength(Est(200, true, 0, 0), f, 0.1, o, 0, 1000), 190, 1e-9);
}

TEST(PaddingTest, NoneIsThePrediction) {
  FakeEstimator f;
  PaddingOptions o;
  o.mode = PaddingMode::kNone;
  EXPECT_EQ(PaddedLength(Est(200, true, 100, 100), f, 0.99, o, 0, 1000), 200);
}

TEST(PaddingTest, ClampsToGeneratedPlusOneAndMaxTokens) {
  FakeEstimator f;
  PaddingOptions o;
  o.mode = PaddingMode::kConformal;
  EXPECT_EQ(PaddedLength(Est(990, true, 0, 0), f, 0.9, o, 0, 1000), 1000);
  EXPECT_EQ(PaddedLength(Est(50, true, 0, 0), f, 0.9, o, 300, 1000), 301);
  EXPECT_EQ(PaddedLength(Est(0, true, 0, 0), f, 0.1, o, 0, 1000), 1);
  o.mode = PaddingMode::kHoeffding;
  EXPECT_EQ(PaddedLength(Est(5, false, 0, 100), f, 0.99, o, 0, 1000), 1);
  // A request at its cap still gets room for one more token.
  EXPECT_EQ(PaddedLength(Est(500, true, 0, 0), f, 0.9, o, 1000, 1000), 1001);
}

TEST(CoverageTest, FallsAsTheRateRisesAndClamps) {
  CoverageOptions o;
  o.alpha = 0.95;
  o.beta = 0.01;
  o.p_min = 0.5;
  o.p_max = 0.9;
  EXPECT_DOUBLE_EQ(Coverage(0, o), 0.9);  // 0.95 clamped to p_max
  EXPECT_NEAR(Coverage(10, o), 0.95 / 1.1, 1e-12);
  EXPECT_NEAR(Coverage(50, o), 0.95 / 1.5, 1e-12);
  EXPECT_DOUBLE_EQ(Coverage(1000, o), 0.5);  // 0.95 / 11 clamped to p_min
  double prev = 1;
  for (double lambda = 0; lambda < 200; lambda += 5) {
    const double p = Coverage(lambda, o);
    EXPECT_LE(p, prev);
    prev = p;
  }
  o.beta = 0;  // no adjustment
  EXPECT_DOUBLE_EQ(Coverage(1000, o), 0.9);
}

}  // namespace
}  // namespace cacheopt
