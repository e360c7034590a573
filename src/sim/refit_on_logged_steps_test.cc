// The serving refit (calibration/cost_replay.h RefitProfile, the one rule
// behind cost-replay --refit and real-experiment's serving and solo
// profiles) on committed steps logs read from disk.
#include <gtest/gtest.h>

#include <string>

#include "calibration/cost_replay.h"
#include "calibration/cpu_cost_profile.h"
#include "sim/steps_log.h"

namespace cacheopt {
namespace {

const std::string kData = std::string(CACHEOPT_SOURCE_DIR) + "/tests/data/";

// tests/data/steps_refit.jsonl was written by a known rule: forward 50 us +
// 20 us/token, sampling 30 us/sequence, scheduling 10 us, 200 us in the
// engine loop outside the step, and two-block swap-outs at 2 GB/s. Against
// one loop iteration the refit must give 260 us fixed (the per-step fixed
// cost and the loop's time), 20 us/token, 30 us/sequence (sampling), nothing
// else, and the copy rate.
TEST(RefitOnLoggedStepsTest, KnownRuleGivesItsCoefficients) {
  auto base = ReadCpuCostProfile(kData + "profile_small.json");
  ASSERT_TRUE(base.ok()) << base.status().message();
  auto steps = ReadRealStepsLog(kData + "steps_refit.jsonl");
  ASSERT_TRUE(steps.ok()) << steps.status().message();
  ASSERT_EQ(steps->size(), 16u);
  const CpuCostProfile r = RefitProfile(*base, *steps, ReplayTarget::kLoop);
  EXPECT_NEAR(r.coeffs[0], 260e-6, 1e-9);
  EXPECT_NEAR(r.coeffs[1], 20e-6, 1e-10);
  EXPECT_NEAR(r.coeffs[2], 0, 1e-12);
  EXPECT_NEAR(r.coeffs[3], 30e-6, 1e-10);
  EXPECT_NEAR(r.coeffs[4], 0, 1e-12);
  EXPECT_NEAR(r.copy_bytes_per_s, 2e9, 1e3);
  // Against the executor's work alone the loop and scheduling drop out.
  const CpuCostProfile c = RefitProfile(*base, *steps, ReplayTarget::kCompute);
  EXPECT_NEAR(c.coeffs[0], 50e-6, 1e-9);
  EXPECT_NEAR(c.coeffs[3], 30e-6, 1e-10);
  // The profile's identity and shape stay the base's; its steps are the log's.
  EXPECT_EQ(r.model_name, base->model_name);
  EXPECT_EQ(r.machine, base->machine);
  EXPECT_EQ(r.context, base->context);
  ASSERT_EQ(r.steps.size(), 16u);
  EXPECT_NEAR(r.steps[0].seconds, 260e-6 + 20e-6 + 30e-6, 1e-12);
}

// The real small log (generate --steps-log on the tiny model): the refit on
// it predicts its steps better than the idle profile does, and a log
// without copies keeps the base's copy rate.
TEST(RefitOnLoggedStepsTest, RefitOnARealLogBeatsTheIdleProfile) {
  auto base = ReadCpuCostProfile(kData + "profile_small.json");
  auto steps = ReadRealStepsLog(kData + "steps_small.jsonl");
  ASSERT_TRUE(base.ok() && steps.ok());
  const CpuCostProfile r = RefitProfile(*base, *steps, ReplayTarget::kLoop);
  const auto idle = MakeProfiledCostModel(*base);
  const auto refit = MakeProfiledCostModel(r);
  const double idle_err = ReplaySteps(*steps, *idle, ReplayTarget::kLoop, base->block_size).all.p50;
  const double refit_err = ReplaySteps(*steps, *refit, ReplayTarget::kLoop, base->block_size).all.p50;
  EXPECT_LT(refit_err, idle_err);
  EXPECT_EQ(r.copy_bytes_per_s, base->copy_bytes_per_s);
  // The same coefficients as the fit itself: one code path.
  const auto fit = FitOnSteps(*steps, ReplayTarget::kLoop, base->kv_bytes_per_token, base->block_size);
  for (int i = 0; i < CpuCostModel::kFeatures; ++i) EXPECT_EQ(r.coeffs[i], fit->coeffs()[i]);
}

}  // namespace
}  // namespace cacheopt
