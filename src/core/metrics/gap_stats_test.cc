#include "cacheopt/gap_stats.h"

#include <gtest/gtest.h>

#include <vector>

#include "cacheopt/metrics/percentile.h"
#include "cacheopt/random/distributions.h"

namespace cacheopt {
namespace {

TEST(GapStatsTest, PercentileDecisionMatchesSortingEveryGap) {
  Rng rng(42);
  int checked_boundary = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    int n = 1 + static_cast<int>(UniformInt(rng, 60));
    double slo = 0.05 + UniformDouble(rng) * 0.1;
    std::vector<double> gaps;
    GapStats s;
    for (int i = 0; i < n; ++i) {
      double g = UniformInt(rng, 4) == 0 ? slo : 0.02 + UniformDouble(rng) * 0.15;
      gaps.push_back(g);
      s.Add(g, slo);
    }
    double p = UniformInt(rng, 2) ? 95.0 : 50.0;
    std::vector<double> copy = gaps;
    bool truth = Percentile(copy, p) <= slo;
    ASSERT_EQ(s.PercentileWithin(p, slo), truth) << "trial " << trial;
    checked_boundary += s.within > 0 && s.within < n;
    double longest = 0;
    for (double g : gaps) longest = std::max(longest, g);
    EXPECT_EQ(s.longest, longest);
  }
  EXPECT_GT(checked_boundary, 1000);
}

TEST(GapStatsTest, NoGapsMeetsTheSlo) {
  GapStats s;
  EXPECT_TRUE(s.PercentileWithin(95, 0.01));
}

}  // namespace
}  // namespace cacheopt
