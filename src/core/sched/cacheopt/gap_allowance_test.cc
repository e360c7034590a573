#include "core/sched/cacheopt/gap_allowance.h"

#include <gtest/gtest.h>

namespace cacheopt {
namespace {

GapStats Gaps(int64_t within, int64_t late, double slo) {
  GapStats g;
  for (int64_t i = 0; i < within; ++i) g.Add(0.5 * slo, slo);
  for (int64_t i = 0; i < late; ++i) g.Add(3 * slo, slo);
  return g;
}

// Every allowed count keeps p95 within, for any request length; one more
// than allowed may not (it fails with late gaps this long).
TEST(GapAllowanceTest, AllowedLateGapsKeepP95Within) {
  for (int64_t n = 1; n <= 400; ++n) {
    const int64_t allowed = LateGapsAllowed(n);
    ASSERT_GE(allowed, 0);
    EXPECT_TRUE(Gaps(n - allowed, allowed, 0.05).PercentileWithin(95, 0.05)) << n;
  }
}

TEST(GapAllowanceTest, BoundaryCounts) {
  EXPECT_EQ(LateGapsAllowed(0), 0);
  EXPECT_EQ(LateGapsAllowed(1), 0);
  EXPECT_EQ(LateGapsAllowed(20), 0);   // lo = floor(18.05) = 18: 20 - 2 - 18
  EXPECT_EQ(LateGapsAllowed(41), 1);   // lo = 38
  EXPECT_EQ(LateGapsAllowed(100), 4);  // lo = 94
  EXPECT_EQ(LateGapsAllowed(1000), 49);  // lo = 949
}

TEST(GapAllowanceTest, SpentAllowanceAndTooFewExpectedGaps) {
  // 100 gaps expected, 4 allowed: 3 spent leaves 1, 4 spent leaves none.
  EXPECT_EQ(LateGapAllowance(Gaps(50, 3, 0.05), 100), 1);
  EXPECT_EQ(LateGapAllowance(Gaps(50, 4, 0.05), 100), 0);
  // Expected fewer gaps than already seen: at least one more is counted.
  EXPECT_EQ(LateGapAllowance(Gaps(99, 0, 0.05), 10), LateGapsAllowed(100));
  EXPECT_LE(LateGapAllowance(Gaps(0, 0, 0.05), 5), 0);  // a short request has none
}

}  // namespace
}  // namespace cacheopt
