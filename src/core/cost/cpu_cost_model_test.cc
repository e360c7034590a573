#include "cacheopt/cost/cpu_cost_model.h"

#include <gtest/gtest.h>

#include <vector>

namespace cacheopt {
namespace {

double Truth(const std::vector<SeqWork>& w) {
  CpuCostModel::Coeffs f = CpuCostModel::Features(w);
  return 2e-3 + 5e-5 * f[1] + 1e-8 * f[2] + 3e-4 * f[3] + 2e-7 * f[4];
}

std::vector<std::vector<SeqWork>> Shapes() {
  std::vector<std::vector<SeqWork>> shapes;
  for (int p : {16, 64, 256, 512}) shapes.push_back({{p, 0}});
  for (int b : {1, 4, 16}) {
    for (int ctx : {32, 256, 1024}) shapes.push_back(std::vector<SeqWork>(b, SeqWork{1, ctx}));
  }
  shapes.push_back({{128, 0}, {1, 300}, {1, 40}});
  return shapes;
}

TEST(CpuCostModelTest, FeaturesCountTokensPairsAndSequences) {
  std::vector<SeqWork> w = {{3, 10}, {1, 5}};
  auto f = CpuCostModel::Features(w);
  EXPECT_EQ(f[0], 1);
  EXPECT_EQ(f[1], 4);
  EXPECT_EQ(f[2], 3 * 10 + 6 + 1 * 5 + 1);  // (11 + 12 + 13) + 6
  EXPECT_EQ(f[3], 2);
  EXPECT_EQ(f[4], 13 + 6);  // each sequence's cache after the step
}

TEST(CpuCostModelTest, RecoversTheCoefficientsOfALinearMachine) {
  CpuCostModel m(1024);
  for (const auto& s : Shapes()) m.ObserveStep(s, Truth(s));
  m.Fit();
  for (const auto& s : Shapes()) EXPECT_NEAR(m.StepTime(s), Truth(s), 1e-6 * Truth(s) + 1e-9);
  EXPECT_NEAR(m.coeffs()[1], 5e-5, 1e-9);
  EXPECT_NEAR(m.coeffs()[4], 2e-7, 1e-10);
}

TEST(CpuCostModelTest, CoefficientsNeverGoNegative) {
  // Per-sequence cost that decreases with batch size would need c3 < 0.
  CpuCostModel m(1024);
  for (int b : {1, 2, 4, 8}) {
    std::vector<SeqWork> w(b, SeqWork{1, 100});
    m.ObserveStep(w, 1e-3 + 1e-4 / b);
  }
  m.Fit();
  for (double c : m.coeffs()) EXPECT_GE(c, 0);
  EXPECT_GT(m.SoloDecodeTime(100), 0);
}

TEST(CpuCostModelTest, OnlineObservationsMoveTheFit) {
  CpuCostModel m(1024, 0.9);
  std::vector<SeqWork> w = {{1, 100}};
  for (int i = 0; i < 50; ++i) m.ObserveStep(w, 1e-3);
  m.Fit();
  EXPECT_NEAR(m.StepTime(w), 1e-3, 1e-9);
  for (int i = 0; i < 200; ++i) m.ObserveStep(w, 2e-3);  // the machine slowed down
  m.Fit();
  EXPECT_NEAR(m.StepTime(w), 2e-3, 2e-5);
}

// The p95 overrun: 1 on a machine the model fits exactly; near the spread's
// 95th percentile when one step in five runs 1.5x long.
TEST(CpuCostModelTest, OverrunRatioP95TracksHowLongStepsRunPastThePrediction) {
  const auto shapes = Shapes();
  CpuCostModel exact(1024);
  for (int i = 0; i < 3000; ++i) {
    const auto& w = shapes[i % shapes.size()];
    exact.ObserveStep(w, Truth(w));
    exact.Fit();  // as the real engine refits between steps
  }
  EXPECT_NEAR(exact.OverrunRatioP95(), 1.0, 0.02);
  CpuCostModel noisy(1024);
  for (int i = 0; i < 6000; ++i) {
    const auto& w = shapes[i % shapes.size()];
    noisy.ObserveStep(w, Truth(w) * (i % 5 == 0 ? 1.5 : 1.0));
    noisy.Fit();
  }
  // Measured / predicted is 1.5 / m or 1 / m for a fit m a little above 1:
  // 20% of steps are over, so the p95 sits at the long ones.
  EXPECT_GT(noisy.OverrunRatioP95(), 1.25);
  EXPECT_LT(noisy.OverrunRatioP95(), 1.6);
  EXPECT_EQ(CpuCostModel(1024).OverrunRatioP95(), 1.0);  // nothing observed yet
}

TEST(CpuCostModelTest, SwapTimeFollowsMeasuredBandwidth) {
  CpuCostModel m(/*kv_bytes_per_token=*/1000);
  m.ObserveCopy(10, 16, 160000.0 / 2e9);  // 160 kB at 2 GB/s
  EXPECT_NEAR(m.copy_bytes_per_s(), 2e9, 1);
  EXPECT_NEAR(m.SwapTime(5, 5, 16), 160000.0 / 2e9, 1e-12);
}

TEST(CpuCostModelTest, IgnoresEmptyAndNonsenseObservations) {
  CpuCostModel m(1024);
  m.ObserveStep({}, 1.0);
  std::vector<SeqWork> w = {{1, 1}};
  m.ObserveStep(w, -1);
  m.ObserveStep(w, 0);
  EXPECT_EQ(m.observations(), 0);
}

}  // namespace
}  // namespace cacheopt
