#include "core/sched/cacheopt/peak_projection.h"

#include <gtest/gtest.h>

#include "cacheopt/random/rng.h"

namespace cacheopt {
namespace {

TEST(PeakProjectionTest, PeakIsJustBeforeTheFirstRelease) {
  // Two lives of 4 tokens, releasing after 5 and 9 steps, blocks of 4:
  // at t=4 both hold 8 tokens (2 + 2 blocks); at t=8 one holds 12 (3 blocks).
  std::vector<ProjectedLife> lives = {{5, 4}, {9, 4}};
  PeakProjection p;
  EXPECT_TRUE(p.Fits(&lives, 4, 4));
  EXPECT_FALSE(p.Fits(&lives, 4, 3));
}

TEST(PeakProjectionTest, SweepEqualsTheDirectCheck) {
  Rng rng(7);
  PeakProjection p;
  for (int trial = 0; trial < 3000; ++trial) {
    int n = 1 + static_cast<int>(rng.Next() % 40);
    int64_t bs = 1 + static_cast<int64_t>(rng.Next() % 32);
    std::vector<ProjectedLife> lives;
    int64_t total = 0;
    for (int i = 0; i < n; ++i) {
      ProjectedLife l;
      l.remain = 1 + static_cast<int64_t>(rng.Next() % 300);
      l.tokens = static_cast<int64_t>(rng.Next() % 2000);
      total += (l.tokens + l.remain + bs - 1) / bs;
      lives.push_back(l);
    }
    int64_t cap = static_cast<int64_t>(rng.Next() % static_cast<uint64_t>(total + 1));
    bool want = PeakFitsBruteForce(lives, bs, cap);
    EXPECT_EQ(p.Fits(&lives, bs, cap), want) << "trial " << trial;
  }
}

}  // namespace
}  // namespace cacheopt
