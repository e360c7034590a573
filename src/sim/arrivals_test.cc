#include "sim/arrivals.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace cacheopt {
namespace {

using ::testing::HasSubstr;

struct GapStats {
  double mean;
  double cv;
};

GapStats Gaps(const std::vector<double>& t) {
  double sum = 0, sum2 = 0;
  const size_t n = t.size() - 1;
  for (size_t i = 1; i < t.size(); ++i) {
    const double g = t[i] - t[i - 1];
    EXPECT_GE(g, 0);
    sum += g;
    sum2 += g * g;
  }
  const double mean = sum / n;
  return {mean, std::sqrt(sum2 / n - mean * mean) / mean};
}

TEST(ArrivalsTest, ParseKind) {
  EXPECT_EQ(*ParseArrivalKind("replay"), ArrivalKind::kReplay);
  EXPECT_EQ(*ParseArrivalKind("poisson"), ArrivalKind::kPoisson);
  EXPECT_EQ(*ParseArrivalKind("gamma"), ArrivalKind::kGamma);
  const Result<ArrivalKind> bad = ParseArrivalKind("bursty");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "unknown arrival process 'bursty'; valid: replay, poisson, gamma");
  for (ArrivalKind k : {ArrivalKind::kReplay, ArrivalKind::kPoisson, ArrivalKind::kGamma}) {
    EXPECT_EQ(*ParseArrivalKind(ArrivalKindName(k)), k);
  }
}

TEST(ArrivalsTest, ReplayScalesByOneConstant) {
  const std::vector<double> recorded = {10, 10.5, 11, 14, 30};
  const Result<std::vector<double>> t = ReplayArrivals(recorded, 2.0);
  ASSERT_TRUE(t.ok());
  // 4 gaps over 20 s is 0.2 req/s; 2 req/s compresses by 10.
  EXPECT_THAT(*t, ::testing::Pointwise(::testing::DoubleNear(1e-12),
                                       std::vector<double>{0, 0.05, 0.1, 0.4, 2.0}));
}

TEST(ArrivalsTest, ReplayEdgeCases) {
  EXPECT_EQ(*ReplayArrivals(std::vector<double>{7}, 3), std::vector<double>{0});
  EXPECT_TRUE(ReplayArrivals(std::vector<double>{}, 3)->empty());
  const auto same = ReplayArrivals(std::vector<double>{1, 1, 1}, 3);
  ASSERT_FALSE(same.ok());
  EXPECT_THAT(same.status().message(), HasSubstr("one instant"));
  EXPECT_FALSE(ReplayArrivals(std::vector<double>{1, 2}, 0).ok());
}

TEST(ArrivalsTest, PoissonMeanGap) {
  Rng rng(11);
  const std::vector<double> t = PoissonArrivals(rng, 20000, 4.0);
  ASSERT_EQ(t.size(), 20000u);
  EXPECT_EQ(t[0], 0.0);
  const GapStats g = Gaps(t);
  EXPECT_NEAR(g.mean * 4.0, 1.0, 0.03);
  EXPECT_NEAR(g.cv, 1.0, 0.05);
}

TEST(ArrivalsTest, GammaMeanGapAndCv) {
  for (double cv : {0.5, 1.1, 3.0}) {
    Rng rng(12);
    const std::vector<double> t = GammaArrivals(rng, 20001, 2.5, cv);
    EXPECT_EQ(t[0], 0.0);
    const GapStats g = Gaps(t);
    EXPECT_NEAR(g.mean * 2.5, 1.0, 0.05) << cv;
    EXPECT_NEAR(g.cv / cv, 1.0, 0.10) << cv;
  }
}

TEST(ArrivalsTest, NoArrivals) {
  Rng rng(1);
  EXPECT_TRUE(PoissonArrivals(rng, 0, 1).empty());
  EXPECT_TRUE(GammaArrivals(rng, 0, 1, 3).empty());
}

}  // namespace
}  // namespace cacheopt
