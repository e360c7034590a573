#include "core/estimate/oracle_estimator.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/estimate/overrun_guess.h"

namespace cacheopt {
namespace {

int32_t FakeTruth(int64_t id) { return static_cast<int32_t>(100 + 7 * id); }

RequestSpec Spec(int64_t id) {
  RequestSpec s;
  s.id = id;
  s.prompt_tokens = 50;
  s.max_tokens = 100000;
  return s;
}

EstimatorOptions Options(uint64_t seed = 1, double spread = 0.5) {
  EstimatorOptions o;
  o.truth = FakeTruth;
  o.seed = seed;
  o.noise_spread = spread;
  return o;
}

TEST(OracleEstimatorTest, PredictsTheTruthExactly) {
  OracleEstimator est(Options());
  for (int64_t id = 0; id < 50; ++id) {
    const LengthEstimate e = est.Estimate(Spec(id), static_cast<int32_t>(id));
    EXPECT_EQ(e.predicted, FakeTruth(id));
    EXPECT_TRUE(e.truth_above);
    EXPECT_EQ(e.range_above, 0);
    EXPECT_EQ(e.range_below, 0);
    est.Observe(Spec(id), FakeTruth(id), e.predicted);
  }
  EXPECT_EQ(est.ResidualQuantile(0.99), 0);
}

TEST(NoisyOracleEstimatorTest, DeterministicPerSeedAndId) {
  NoisyOracleEstimator a(Options(5)), b(Options(5)), c(Options(6));
  int differs = 0;
  for (int64_t id = 0; id < 100; ++id) {
    const double x = a.Estimate(Spec(id), 0).predicted;
    EXPECT_EQ(x, a.Estimate(Spec(id), 0).predicted);  // every call, same factor
    EXPECT_EQ(x, b.Estimate(Spec(id), 0).predicted);
    differs += x != c.Estimate(Spec(id), 0).predicted;
  }
  EXPECT_EQ(differs, 100);
  // Independent of call order and of other requests.
  NoisyOracleEstimator d(Options(5));
  EXPECT_EQ(d.Estimate(Spec(77), 0).predicted, a.Estimate(Spec(77), 0).predicted);
}

TEST(NoisyOracleEstimatorTest, LogSpreadIsTheKnob) {
  for (double spread : {0.2, 0.5, 1.0}) {
    NoisyOracleEstimator est(Options(3, spread));
    const int n = 20000;
    double sum = 0, sum2 = 0;
    for (int64_t id = 0; id < n; ++id) {
      const double l = std::log(est.NoisyLength(id) / FakeTruth(id));
      sum += l;
      sum2 += l * l;
    }
    const double mean = sum / n;
    const double sd = std::sqrt(sum2 / n - mean * mean);
    EXPECT_NEAR(mean, 0, 0.05 * spread) << spread;
    EXPECT_NEAR(sd, spread, 0.03 * spread) << spread;
  }
}

TEST(NoisyOracleEstimatorTest, ZeroSpreadIsTheOracle) {
  NoisyOracleEstimator est(Options(9, 0));
  for (int64_t id = 0; id < 20; ++id) EXPECT_EQ(est.Estimate(Spec(id), 0).predicted, FakeTruth(id));
}

TEST(NoisyOracleEstimatorTest, OverrunAndResiduals) {
  NoisyOracleEstimator est(Options(5));
  const double noisy = est.NoisyLength(3);
  const int32_t past = static_cast<int32_t>(noisy) + 1;
  EXPECT_EQ(est.Estimate(Spec(3), past).predicted, OverrunGuess(past));
  // Residuals from its own observations: all over-predictions here.
  for (int64_t id = 0; id < 10; ++id) est.Observe(Spec(id), 100, 150);
  const LengthEstimate e = est.Estimate(Spec(3), 0);
  EXPECT_FALSE(e.truth_above);
  EXPECT_EQ(e.range_below, 0);  // all -50
  EXPECT_EQ(est.ResidualQuantile(0.5), -50);
}

}  // namespace
}  // namespace cacheopt
