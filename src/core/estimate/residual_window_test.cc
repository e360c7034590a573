#include "core/estimate/residual_window.h"

#include <gtest/gtest.h>

namespace cacheopt {
namespace {

TEST(ResidualWindowTest, EmptyIsNeutral) {
  ResidualWindow w(10);
  EXPECT_EQ(w.Quantile(0.9), 0);
  EXPECT_TRUE(w.truth_above());
  EXPECT_EQ(w.range_above(), 0);
  EXPECT_EQ(w.range_below(), 0);
}

TEST(ResidualWindowTest, QuantilesAndRangesOnHandBuiltResiduals) {
  ResidualWindow w(100);
  // Above: 0, 10, ..., 100 (11 values); below: -1, -2, ..., -5.
  for (int i = 0; i <= 10; ++i) w.Add(10.0 * i);
  for (int i = 1; i <= 5; ++i) w.Add(-i);
  // Above: p99 = 99 (rank 9.9 of 0..100 step 10), p1 = 1 -> R = 98.
  EXPECT_NEAR(w.range_above(), 98, 1e-9);
  // |below| = 1..5: p99 = 4.96, p1 = 1.04 -> R = 3.92.
  EXPECT_NEAR(w.range_below(), 3.92, 1e-9);
  EXPECT_TRUE(w.truth_above());  // 11 of 16 are >= 0
  // All 16 sorted: -5 -4 -3 -2 -1 0 10 20 ... 100; q = 0.5 -> rank 7.5 -> 25.
  EXPECT_NEAR(w.Quantile(0.5), 25, 1e-9);
  EXPECT_NEAR(w.Quantile(0), -5, 1e-9);
  EXPECT_NEAR(w.Quantile(1), 100, 1e-9);
}

TEST(ResidualWindowTest, DirectionIsBelowWhenFewerThanHalfAreNonNegative) {
  ResidualWindow w(100);
  w.Add(0);
  w.Add(-3);
  EXPECT_TRUE(w.truth_above());  // exactly half >= 0 -> above
  w.Add(-7);
  EXPECT_FALSE(w.truth_above());
  LengthEstimate e;
  e.predicted = 42;
  w.Describe(&e);
  EXPECT_EQ(e.predicted, 42);
  EXPECT_FALSE(e.truth_above);
  EXPECT_NEAR(e.range_below, 0.98 * 4, 1e-9);  // |r| = 3, 7
  EXPECT_EQ(e.range_above, 0);                  // one value: p99 = p1
}

TEST(ResidualWindowTest, OnlyTheLastWindowCounts) {
  ResidualWindow w(4);
  for (int i = 0; i < 4; ++i) w.Add(-100);
  EXPECT_FALSE(w.truth_above());
  for (int i = 0; i < 4; ++i) w.Add(5);
  EXPECT_TRUE(w.truth_above());
  EXPECT_EQ(w.range_below(), 0);
  EXPECT_EQ(w.Quantile(0.1), 5);
  EXPECT_EQ(w.size(), 4u);
}

}  // namespace
}  // namespace cacheopt
