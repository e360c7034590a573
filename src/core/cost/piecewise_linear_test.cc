#include "cacheopt/cost/piecewise_linear.h"

#include <gtest/gtest.h>

namespace cacheopt {
namespace {

TEST(PiecewiseLinearTest, InterpolatesAndExtrapolates) {
  const PiecewiseLinear f({8, 16, 32}, {1, 2, 6});
  EXPECT_DOUBLE_EQ(f(1), 1);  // flat below the first point
  EXPECT_DOUBLE_EQ(f(8), 1);
  EXPECT_DOUBLE_EQ(f(12), 1.5);
  EXPECT_DOUBLE_EQ(f(16), 2);
  EXPECT_DOUBLE_EQ(f(24), 4);
  EXPECT_DOUBLE_EQ(f(32), 6);
  EXPECT_DOUBLE_EQ(f(64), 12);  // proportional beyond the last point
  EXPECT_TRUE(PiecewiseLinear().empty());
  EXPECT_DOUBLE_EQ(PiecewiseLinear()(5), 0);
}

}  // namespace
}  // namespace cacheopt
