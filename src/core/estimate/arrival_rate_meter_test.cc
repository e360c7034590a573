#include <gtest/gtest.h>

#include <cmath>

#include "cacheopt/random/distributions.h"
#include "core/estimate/padding.h"

namespace cacheopt {
namespace {

TEST(ArrivalRateMeterTest, NoArrivalsIsZero) {
  ArrivalRateMeter m;
  EXPECT_EQ(m.Rate(0), 0);
  EXPECT_EQ(m.Rate(100), 0);
  m.OnArrival(3);
  EXPECT_EQ(m.Rate(3), 0);  // one arrival: no interval yet
}

TEST(ArrivalRateMeterTest, SteadyStreamReadsItsRateFromTheStart) {
  ArrivalRateMeter m(30);
  double t = 10;  // the clock need not start at 0
  for (int i = 0; i < 2000; ++i, t += 0.2) {
    m.OnArrival(t);
    if (i >= 1) {
      ASSERT_NEAR(m.Rate(t), 5, 0.1) << "arrival " << i;  // within 2%, cold start too
    }
  }
  EXPECT_NEAR(m.Rate(t - 0.1), 5, 0.1);  // between arrivals
}

TEST(ArrivalRateMeterTest, PoissonStreamConverges) {
  Rng rng(11);
  ArrivalRateMeter m(30);
  double t = 0;
  double sum = 0;
  int n = 0;
  for (int i = 0; i < 20000; ++i) {
    t += Exponential(rng, 5);
    m.OnArrival(t);
    if (t > 60) {
      sum += m.Rate(t);
      ++n;
    }
  }
  EXPECT_NEAR(sum / n, 5, 0.1);
}

TEST(ArrivalRateMeterTest, FollowsARateChangeWithTimeConstantTau) {
  ArrivalRateMeter m(10);
  double t = 0;
  for (; t < 200; t += 0.5) m.OnArrival(t);  // 2 req/s
  EXPECT_NEAR(m.Rate(t), 2, 0.1);
  const double start = t;
  for (; t < start + 10; t += 0.1) m.OnArrival(t);  // 10 req/s for one tau
  // 2 + (10 - 2)(1 - 1/e) = 7.06.
  EXPECT_NEAR(m.Rate(t), 7.06, 0.3);
  // Silence decays it by e per tau.
  EXPECT_NEAR(m.Rate(t + 10) / m.Rate(t), std::exp(-1.0), 1e-9);
}

TEST(ArrivalRateMeterTest, BurstAtOneInstantIsFinite) {
  ArrivalRateMeter m(30);
  for (int i = 0; i < 101; ++i) m.OnArrival(0);
  const double r = m.Rate(0);
  EXPECT_TRUE(std::isfinite(r));
  EXPECT_NEAR(r, 100 / (30 * -std::expm1(-0.001)), 1e-9);  // 100 arrivals over 30 ms: ~3300/s
}

}  // namespace
}  // namespace cacheopt
