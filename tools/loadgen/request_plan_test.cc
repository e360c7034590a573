#include "loadgen/request_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "sim/workload.h"
#include "trace/synthetic.h"

namespace cacheopt::bench {
namespace {

using ::testing::HasSubstr;

Trace LengthOnly(std::vector<std::pair<int32_t, int32_t>> lengths) {
  Trace t;
  t.source = "test";
  t.format = "jsonl";
  int64_t line = 1;
  for (auto [p, o] : lengths) {
    TraceRow r;
    r.prompt_tokens = p;
    r.output_tokens = o;
    r.line = ++line;
    t.rows.push_back(r);
  }
  return t;
}

double GapCv(const std::vector<PlannedRequest>& rs, double* mean_out) {
  double sum = 0, sum2 = 0;
  const size_t n = rs.size() - 1;
  for (size_t i = 1; i < rs.size(); ++i) {
    const double g = rs[i].send_offset_s - rs[i - 1].send_offset_s;
    sum += g;
    sum2 += g * g;
  }
  const double mean = sum / n;
  *mean_out = mean;
  return std::sqrt(sum2 / n - mean * mean) / mean;
}

TEST(RequestPlanTest, ScalingRoundsToTheNearestTokenAndKeepsAtLeastOne) {
  Trace t = LengthOnly({{1155, 211}, {3, 3}, {12, 4}});
  t.rows[0].max_tokens = 100;
  const Trace s = ScaleTraceLengths(t, 8);
  EXPECT_EQ(s.rows[0].prompt_tokens, 144);  // 144.375
  EXPECT_EQ(s.rows[0].output_tokens, 26);   // 26.375
  EXPECT_EQ(s.rows[0].max_tokens, 13);      // 12.5 rounds up
  EXPECT_EQ(s.rows[1].prompt_tokens, 1);    // 0.375, at least 1
  EXPECT_EQ(s.rows[1].output_tokens, 1);
  EXPECT_EQ(s.rows[2].prompt_tokens, 2);  // 1.5
  EXPECT_EQ(s.rows[2].output_tokens, 1);  // 0.5
  EXPECT_EQ(s.rows[1].max_tokens, -1);    // none given stays none
  EXPECT_EQ(ScaleTraceLengths(t, 1).rows[0].prompt_tokens, 1155);
}

TEST(RequestPlanTest, RowsOverTheContextAfterScalingAreDropped) {
  // Scaled by 8: (10, 2) fits 100; (100, 10) is 110 > 100.
  const Trace t = LengthOnly({{80, 16}, {800, 80}, {160, 40}});
  PlanOptions o;
  o.max_context = 100;
  o.num_requests = 10;
  o.rate_rps = 5;
  auto plan = BuildRequestPlan(t, o);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(plan->trace_rows, 3);
  EXPECT_EQ(plan->dropped_over_context, 1);
  ASSERT_EQ(plan->requests.size(), 2u);  // 10 asked, 2 fit: all of them
  for (const PlannedRequest& r : plan->requests) {
    EXPECT_LE(r.prompt_tokens + r.eos_after, 100);
    EXPECT_EQ(r.max_tokens, 100 - r.prompt_tokens);  // the workload's cap: context - prompt
    EXPECT_TRUE(r.default_cap);
    EXPECT_EQ(static_cast<int32_t>(r.prompt_ids.size()), r.prompt_tokens);
  }
  EXPECT_THAT(plan->description, HasSubstr("lengths / 8"));

  o.max_context = 5;
  auto none = BuildRequestPlan(t, o);
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(none.status().message(), HasSubstr("no rows left"));
}

TEST(RequestPlanTest, SameSeedSamePlanOtherSeedOtherPlan) {
  const Trace t = SyntheticTrace(0, 400);
  PlanOptions o;
  o.max_context = 512;
  o.num_requests = 50;
  o.rate_rps = 4;
  o.seed = 7;
  auto a = BuildRequestPlan(t, o);
  auto b = BuildRequestPlan(t, o);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->requests.size(), 50u);
  for (size_t i = 0; i < a->requests.size(); ++i) {
    const PlannedRequest &x = a->requests[i], &y = b->requests[i];
    EXPECT_EQ(x.send_offset_s, y.send_offset_s);
    EXPECT_EQ(x.prompt_ids, y.prompt_ids);
    EXPECT_EQ(x.eos_after, y.eos_after);
    EXPECT_EQ(x.slo_class, y.slo_class);
    for (int32_t id : x.prompt_ids) {
      EXPECT_GE(id, 3);
      EXPECT_LT(id, 256);
    }
  }
  o.seed = 8;
  auto c = BuildRequestPlan(t, o);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(a->requests[0].prompt_ids, c->requests[0].prompt_ids);
  EXPECT_NE(a->requests[1].send_offset_s, c->requests[1].send_offset_s);
}

TEST(RequestPlanTest, SameRequestsAsTheSimulatorsWorkload) {
  // A replay in the simulator with the same seed, scaled trace and context
  // sees the same rows, arrivals and classes.
  const Trace t = SyntheticTrace(0, 400);
  PlanOptions o;
  o.max_context = 512;
  o.num_requests = 40;
  o.rate_rps = 3;
  o.seed = 11;
  o.arrival = *ArrivalFromFlags(0.25, std::nullopt);
  auto plan = BuildRequestPlan(t, o);
  ASSERT_TRUE(plan.ok());
  WorkloadOptions w;
  w.arrival = ArrivalKind::kGamma;
  w.arrival_cv = 2.0;
  w.rate_rps = 3;
  w.num_requests = 40;
  w.seed = 11;
  w.max_context = 512;
  auto work = BuildWorkload(ScaleTraceLengths(t, 8), w);
  ASSERT_TRUE(work.ok());
  ASSERT_EQ(work->requests.size(), plan->requests.size());
  for (size_t i = 0; i < plan->requests.size(); ++i) {
    EXPECT_EQ(plan->requests[i].send_offset_s, work->requests[i].arrival_s);
    EXPECT_EQ(plan->requests[i].prompt_tokens, work->requests[i].prompt_tokens);
    EXPECT_EQ(plan->requests[i].eos_after, work->requests[i].output_tokens);
    EXPECT_EQ(plan->requests[i].max_tokens, work->requests[i].max_tokens);
    EXPECT_EQ(plan->requests[i].slo_class, work->requests[i].slo_class);
  }
}

TEST(RequestPlanTest, IgnoreEosCapsAtTheTrueLength) {
  const Trace t = LengthOnly({{80, 16}, {160, 40}});
  PlanOptions o;
  o.max_context = 100;
  o.num_requests = 2;
  o.rate_rps = 1;
  o.ignore_eos = true;
  auto plan = BuildRequestPlan(t, o);
  ASSERT_TRUE(plan.ok());
  for (const PlannedRequest& r : plan->requests) {
    EXPECT_EQ(r.max_tokens, r.eos_after);
    EXPECT_FALSE(r.default_cap);
  }
}

TEST(RequestPlanTest, ATracesOwnCapIsScaledAndSent) {
  Trace t = LengthOnly({{80, 16}});
  t.rows[0].max_tokens = 160;  // scaled: 20
  PlanOptions o;
  o.max_context = 100;
  o.num_requests = 1;
  o.rate_rps = 1;
  auto plan = BuildRequestPlan(t, o);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->requests[0].max_tokens, 20);
  EXPECT_FALSE(plan->requests[0].default_cap);
}

TEST(RequestPlanTest, InfiniteRateSendsEverythingAtZero) {
  PlanOptions o;
  o.max_context = 512;
  o.num_requests = 20;
  o.arrival = *ArrivalFromFlags(0.5, std::nullopt);  // ignored at rate inf, as in vLLM
  auto plan = BuildRequestPlan(SyntheticTrace(0, 100), o);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  for (const PlannedRequest& r : plan->requests) EXPECT_EQ(r.send_offset_s, 0.0);
  EXPECT_THAT(plan->description, HasSubstr("every request at 0 (rate inf)"));
}

TEST(RequestPlanTest, PoissonAndBurstinessHaveTheirRateAndCv) {
  const Trace t = LengthOnly(std::vector<std::pair<int32_t, int32_t>>(6000, {80, 80}));
  PlanOptions o;
  o.max_context = 512;
  o.num_requests = 6000;
  o.rate_rps = 10;
  o.seed = 3;
  double mean = 0;
  auto poisson = BuildRequestPlan(t, o);
  ASSERT_TRUE(poisson.ok());
  EXPECT_NEAR(GapCv(poisson->requests, &mean), 1.0, 0.06);
  EXPECT_NEAR(mean, 0.1, 0.005);
  o.arrival = *ArrivalFromFlags(0.25, std::nullopt);  // shape 0.25: CV 2
  auto bursty = BuildRequestPlan(t, o);
  ASSERT_TRUE(bursty.ok());
  EXPECT_NEAR(GapCv(bursty->requests, &mean), 2.0, 0.2);
  EXPECT_NEAR(mean, 0.1, 0.01);
}

TEST(RequestPlanTest, ArrivalFlags) {
  EXPECT_EQ(ArrivalFromFlags(std::nullopt, std::nullopt)->kind, ArrivalKind::kPoisson);
  EXPECT_EQ(ArrivalFromFlags(1.0, std::nullopt)->kind, ArrivalKind::kPoisson);
  EXPECT_EQ(ArrivalFromFlags(std::nullopt, 1.0)->kind, ArrivalKind::kPoisson);
  auto b = ArrivalFromFlags(0.25, std::nullopt);
  EXPECT_EQ(b->kind, ArrivalKind::kGamma);
  EXPECT_DOUBLE_EQ(b->cv, 2.0);
  auto smooth = ArrivalFromFlags(4.0, std::nullopt);
  EXPECT_DOUBLE_EQ(smooth->cv, 0.5);
  auto c = ArrivalFromFlags(std::nullopt, 3.0);
  EXPECT_EQ(c->kind, ArrivalKind::kGamma);
  EXPECT_DOUBLE_EQ(c->cv, 3.0);
  EXPECT_THAT(ArrivalFromFlags(0.5, 2.0).status().message(), HasSubstr("not both"));
  EXPECT_THAT(ArrivalFromFlags(0.0, std::nullopt).status().message(), HasSubstr("--burstiness must be"));
  EXPECT_THAT(ArrivalFromFlags(std::nullopt, -1.0).status().message(), HasSubstr("--arrival-cv must be"));
}

TEST(RequestPlanTest, BadOptionsAreNamed) {
  const Trace t = LengthOnly({{80, 16}});
  PlanOptions o;
  o.max_context = 100;
  o.num_requests = 1;
  o.length_scale = 0;
  EXPECT_THAT(BuildRequestPlan(t, o).status().message(), HasSubstr("--length-scale"));
  o.length_scale = 8;
  o.num_requests = 0;
  EXPECT_THAT(BuildRequestPlan(t, o).status().message(), HasSubstr("--num-prompts"));
  o.num_requests = 1;
  o.token_lo = 10;
  o.token_hi = 10;
  EXPECT_THAT(BuildRequestPlan(t, o).status().message(), HasSubstr("prompt token range"));
  o.token_lo = 3;
  o.token_hi = 256;
  o.rate_rps = -1;
  EXPECT_THAT(BuildRequestPlan(t, o).status().message(), HasSubstr("--rate"));
}

}  // namespace
}  // namespace cacheopt::bench
