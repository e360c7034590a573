#include "sweep/capacity_search.h"

#include <gtest/gtest.h>

#include "sim/setup.h"
#include "trace/synthetic.h"

namespace cacheopt::experiment {
namespace {

// Attainment 1 up to a per-seed threshold, 0.5 above it.
AttainmentMemo::RunFn Threshold(std::map<uint64_t, double> thr, int* calls) {
  return [thr, calls](double rate, uint64_t seed) -> Result<SeedAttainment> {
    ++*calls;
    double a = rate <= thr.at(seed) ? 1.0 : 0.5;
    double stall = rate <= thr.at(seed) / 2 ? 1.0 : 0.5;  // stall-aware: half the rate
    return SeedAttainment{a, a, stall};
  };
}

TEST(CapacitySearch, BisectsToTheThreshold) {
  int calls = 0;
  AttainmentMemo memo(Threshold({{1, 3.0}}, &calls));
  CapacityOptions o;
  auto r = SearchCapacity(memo, {1}, o);
  ASSERT_TRUE(r.ok());
  EXPECT_LE(r->max_rate_rps, 3.0);
  EXPECT_GE(r->max_rate_rps, 3.0 / 1.02);
  EXPECT_FALSE(r->below_range);
  EXPECT_FALSE(r->above_range);
  EXPECT_EQ(calls, static_cast<int>(r->probes.size()));
  // The same search again runs nothing new.
  auto again = SearchCapacity(memo, {1}, o);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->max_rate_rps, r->max_rate_rps);
  EXPECT_EQ(calls, static_cast<int>(r->probes.size()));
  EXPECT_EQ(memo.simulations(), calls);
}

TEST(CapacitySearch, RangeEnds) {
  int calls = 0;
  AttainmentMemo low(Threshold({{1, 0.01}}, &calls));
  auto r = SearchCapacity(low, {1}, CapacityOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->below_range);
  EXPECT_EQ(r->max_rate_rps, 0);
  AttainmentMemo high(Threshold({{1, 1000}}, &calls));
  r = SearchCapacity(high, {1}, CapacityOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->above_range);
  EXPECT_EQ(r->max_rate_rps, 64);
}

TEST(CapacitySearch, SeedMeanAndPerSeedRangeShareRuns) {
  int calls = 0;
  AttainmentMemo memo(Threshold({{1, 2.0}, {2, 4.0}}, &calls));
  CapacityOptions o;
  auto e = EstimateCapacity(memo, {1, 2}, o);
  ASSERT_TRUE(e.ok());
  // The mean of (1, 0.5) is 0.75 < 0.9: the seed mean holds only where both do.
  EXPECT_LE(e->mean.max_rate_rps, 2.0);
  EXPECT_GE(e->mean.max_rate_rps, 2.0 / 1.02);
  ASSERT_EQ(e->per_seed.size(), 2u);
  EXPECT_NEAR(e->per_seed[0].max_rate_rps, 2.0, 0.05);
  EXPECT_NEAR(e->per_seed[1].max_rate_rps, 4.0, 0.1);
  EXPECT_EQ(e->min_rps, e->per_seed[0].max_rate_rps);
  EXPECT_EQ(e->max_rps, e->per_seed[1].max_rate_rps);
  size_t separate = e->mean.probes.size() * 2 + e->per_seed[0].probes.size() + e->per_seed[1].probes.size();
  EXPECT_LT(static_cast<size_t>(calls), separate);
  // The stall-aware searches reuse the same runs where they visit the same rates.
  o.definition = CapacityDefinition::kStall;
  int before = calls;
  auto s = EstimateCapacity(memo, {1, 2}, o);
  ASSERT_TRUE(s.ok());
  EXPECT_NEAR(s->mean.max_rate_rps, 1.0, 0.03);
  EXPECT_LT(calls - before, static_cast<int>(s->mean.probes.size() * 2 + s->per_seed[0].probes.size() +
                                              s->per_seed[1].probes.size()));
}

TEST(CapacitySearch, ErrorsPropagate) {
  AttainmentMemo memo([](double, uint64_t) -> Result<SeedAttainment> { return Status::OutOfRange("boom"); });
  auto r = SearchCapacity(memo, {1}, CapacityOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "boom");
  EXPECT_FALSE(SearchCapacity(memo, {}, CapacityOptions{}).ok());
}

// The shared search gives FindCapacity's answer, probe for probe.
TEST(CapacitySearch, MatchesFindCapacity) {
  SetupOptions so;  // llama-2-7b on a100-40g, analytic cost model
  auto setup = MakeSetup(so);
  ASSERT_TRUE(setup.ok()) << setup.status().message();
  Trace trace = SyntheticTrace(0, 2000);
  WorkloadOptions w;
  w.num_requests = 150;
  w.seed = 1;
  w.max_context = setup->sched.max_model_len;
  SimulationOptions sim;
  sim.policy = "vllm";
  sim.sched = setup->sched;
  AttainmentMemo memo([&](double rate, uint64_t seed) -> Result<SeedAttainment> {
    WorkloadOptions x = w;
    x.rate_rps = rate;
    x.seed = seed;
    auto built = BuildWorkload(trace, x);
    if (!built.ok()) return built.status();
    auto r = Simulate(*built, *setup->cost, sim);
    if (!r.ok()) return r.status();
    return SeedAttainment{r->summary.ttft_attainment, r->summary.tbt_attainment, r->summary.stall_attainment};
  });
  for (CapacityDefinition d : {CapacityDefinition::kToken, CapacityDefinition::kStall}) {
    CapacityOptions o;
    o.definition = d;
    o.seeds = 2;
    o.threads = 1;
    o.rel_width = 0.05;
    auto want = FindCapacity(trace, w, *setup->cost, sim, o);
    ASSERT_TRUE(want.ok());
    auto got = SearchCapacity(memo, {1, 2}, o);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->max_rate_rps, want->max_rate_rps);
    ASSERT_EQ(got->probes.size(), want->probes.size());
    for (size_t i = 0; i < got->probes.size(); ++i) {
      EXPECT_EQ(got->probes[i].rate_rps, want->probes[i].rate_rps);
      EXPECT_EQ(got->probes[i].ttft_attainment, want->probes[i].ttft_attainment);
      EXPECT_EQ(got->probes[i].tbt_attainment, want->probes[i].tbt_attainment);
    }
  }
}

}  // namespace
}  // namespace cacheopt::experiment
