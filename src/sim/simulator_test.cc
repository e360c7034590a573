#include "sim/simulator.h"

#include <gtest/gtest.h>

#include "cacheopt/cost/cpu_cost_model.h"

namespace cacheopt {
namespace {

// Every step takes 0.1 s whatever it runs.
CpuCostModel FlatCost() {
  CpuCostModel m(1024);
  m.SetCoeffs({0.1, 0, 0, 0}, 1e9);
  return m;
}

SimulationOptions Options() {
  SimulationOptions o;
  o.policy = "vllm";
  o.sched.block_size = 16;
  o.sched.max_model_len = 1024;
  o.sched.device_blocks = 100;
  o.sched.host_blocks = 0;
  return o;
}

// Two single-token requests, each holding its 2 prompt blocks for one 0.1 s
// step, over 1.0 s of virtual time (idle between them counts as 0).
TEST(SimulatorTest, MeanDeviceBlocksIsTheTimeWeightedWorkingSet) {
  Workload w;
  w.requests = {{0, 0.0, 32, 1, 100, 1}, {1, 0.9, 32, 1, 100, 1}};
  const CpuCostModel cost = FlatCost();
  auto r = Simulate(w, cost, Options());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->summary.requests_finished, 2);
  EXPECT_NEAR(r->simulated_s, 1.0, 1e-9);
  EXPECT_NEAR(r->mean_device_blocks, 0.4, 1e-9);
}

// A long decode holds its growing context for every step.
TEST(SimulatorTest, MeanDeviceBlocksCountsBlocksHeldAcrossSteps) {
  Workload w;
  w.requests = {{0, 0.0, 16, 17, 100, 1}};  // prefill 16, then 16 decodes: 32 tokens computed
  const CpuCostModel cost = FlatCost();
  auto r = Simulate(w, cost, Options());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->steps, 17);
  // Step k (0-based) ends with 16 + k tokens computed (KV for the token it
  // produced comes next step): 1 block, then 2 from k = 1 on.
  EXPECT_NEAR(r->mean_device_blocks, (1.0 + 16 * 2.0) / 17, 1e-9);
}

}  // namespace
}  // namespace cacheopt
