#include "loadgen/bench_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

namespace cacheopt::bench {
namespace {

using ::testing::HasSubstr;

// Three requests, computed by hand below:
// r0 medium: TTFT 0.1, E2E 0.5, 5 tokens, four gaps of 0.1, prompt 10 sent;
// r1 tight: TTFT 0.3, E2E 0.3, 1 token, prompt 20 sent, 21 reported;
// r2 loose: failed. Duration 2 s.
struct Fixture {
  std::vector<PlannedRequest> plan;
  std::vector<RequestRecord> records;
  Fixture() {
    plan.resize(3);
    records.resize(3);
    plan[0].prompt_tokens = 10;
    plan[0].slo_class = 1;
    plan[1].prompt_tokens = 20;
    plan[1].slo_class = 0;
    plan[2].prompt_tokens = 30;
    plan[2].slo_class = 2;
    RequestRecord& a = records[0];
    a.success = true;
    a.ttft_s = 0.1;
    a.e2el_s = 0.5;
    a.output_tokens = 5;
    a.itls_s = {0.1, 0.1, 0.1, 0.1};
    RequestRecord& b = records[1];
    b.success = true;
    b.ttft_s = 0.3;
    b.e2el_s = 0.3;
    b.output_tokens = 1;
    b.prompt_tokens_reported = 21;
    records[2].error = "HTTP 500";
  }
};

SloTargets Targets() {
  SloTargets t;
  t.ttft_s = {0.2, 0.2, 0.2};
  t.tbt_s = std::array<double, 3>{0.05, 0.1, 0.2};
  return t;
}

TEST(BenchMetricsTest, VllmSummary) {
  Fixture f;
  const BenchSummary s = Summarize(f.plan, f.records, 2.0, {}, Targets());
  EXPECT_EQ(s.completed, 2);
  EXPECT_EQ(s.failed, 1);
  EXPECT_EQ(s.total_input_tokens, 31);  // 10 sent + 21 reported; the failed one not counted
  EXPECT_EQ(s.total_output_tokens, 6);
  EXPECT_DOUBLE_EQ(s.duration_s, 2.0);
  EXPECT_DOUBLE_EQ(s.request_throughput, 1.0);
  EXPECT_DOUBLE_EQ(s.output_throughput, 3.0);
  EXPECT_DOUBLE_EQ(s.total_token_throughput, 18.5);
  EXPECT_FALSE(s.request_goodput);

  // TTFT {0.1, 0.3}: mean 200 ms, population std 100 ms, p95 = 0.1 + 0.95 x 0.2.
  EXPECT_NEAR(s.ttft.mean_ms, 200, 1e-9);
  EXPECT_NEAR(s.ttft.median_ms, 200, 1e-9);
  EXPECT_NEAR(s.ttft.std_ms, 100, 1e-9);
  EXPECT_NEAR(s.ttft.p95_ms, 290, 1e-9);
  EXPECT_NEAR(s.ttft.p99_ms, 298, 1e-9);
  // TPOT only for r0: (0.5 - 0.1) / 4.
  EXPECT_NEAR(s.tpot.mean_ms, 100, 1e-9);
  EXPECT_NEAR(s.tpot.std_ms, 0, 1e-9);
  EXPECT_NEAR(s.itl.mean_ms, 100, 1e-9);
  EXPECT_NEAR(s.itl.p99_ms, 100, 1e-9);
  // E2E {0.5, 0.3}.
  EXPECT_NEAR(s.e2el.mean_ms, 400, 1e-9);
  EXPECT_NEAR(s.e2el.std_ms, 100, 1e-9);
  EXPECT_NEAR(s.e2el.p99_ms, 498, 1e-9);
}

TEST(BenchMetricsTest, GoodputCountsSuccessfulRequestsWithinEveryGivenLimit) {
  Fixture f;
  GoodputConfig g;
  g.ttft_ms = 150;  // r0 only
  EXPECT_DOUBLE_EQ(*Summarize(f.plan, f.records, 2.0, g, Targets()).request_goodput, 0.5);
  g.ttft_ms = 400;
  g.tpot_ms = 100;  // r0's TPOT is exactly 100; r1 has one token: TPOT 0
  EXPECT_DOUBLE_EQ(*Summarize(f.plan, f.records, 2.0, g, Targets()).request_goodput, 1.0);
  g.tpot_ms = 99;
  EXPECT_DOUBLE_EQ(*Summarize(f.plan, f.records, 2.0, g, Targets()).request_goodput, 0.5);
  GoodputConfig e2e;
  e2e.e2el_ms = 400;  // r1 only
  EXPECT_DOUBLE_EQ(*Summarize(f.plan, f.records, 2.0, e2e, Targets()).request_goodput, 0.5);
}

TEST(BenchMetricsTest, SloAttainmentOverEveryRequest) {
  Fixture f;
  const BenchSummary s = Summarize(f.plan, f.records, 2.0, {}, Targets());
  EXPECT_NEAR(s.slo.ttft, 1.0 / 3, 1e-12);          // r0 met; r1 (0.3 > 0.2) and the failed r2 missed
  EXPECT_DOUBLE_EQ(*s.slo.tbt_token, 1.0);          // r0's four gaps of 0.1 <= its medium 0.1
  EXPECT_NEAR(*s.slo.tbt_request, 2.0 / 3, 1e-12);  // r1 has no gap: met
  EXPECT_NEAR(*s.slo.tbt_stall, 2.0 / 3, 1e-12);
  EXPECT_NEAR(*s.slo.both, 1.0 / 3, 1e-12);
  EXPECT_DOUBLE_EQ(*s.slo.goodput_rps, 0.5);

  // r0 as tight (0.05): every gap misses.
  f.plan[0].slo_class = 0;
  const BenchSummary tight = Summarize(f.plan, f.records, 2.0, {}, Targets());
  EXPECT_DOUBLE_EQ(*tight.slo.tbt_token, 0.0);
  EXPECT_NEAR(*tight.slo.tbt_request, 1.0 / 3, 1e-12);
  EXPECT_DOUBLE_EQ(*tight.slo.both, 0.0);

  // A stall over 1 s fails the stall-aware TBT even when p95 holds.
  f.plan[0].slo_class = 2;
  f.records[0].itls_s = std::vector<double>(40, 0.01);
  f.records[0].itls_s[0] = 1.5;
  const BenchSummary stall = Summarize(f.plan, f.records, 2.0, {}, Targets());
  EXPECT_NEAR(*stall.slo.tbt_request, 2.0 / 3, 1e-12);
  EXPECT_NEAR(*stall.slo.tbt_stall, 1.0 / 3, 1e-12);
}

TEST(BenchMetricsTest, UnknownTbtTargetsLeaveTheTbtFieldsOut) {
  Fixture f;
  SloTargets t;
  const BenchSummary s = Summarize(f.plan, f.records, 2.0, {}, t);
  EXPECT_NEAR(s.slo.ttft, 2.0 / 3, 1e-12);  // default 1 s: r0, r1 met
  EXPECT_FALSE(s.slo.tbt_token);
  EXPECT_FALSE(s.slo.both);
  EXPECT_FALSE(s.slo.goodput_rps);
}

TEST(BenchMetricsTest, NoSuccessGivesZeros) {
  std::vector<PlannedRequest> plan(1);
  std::vector<RequestRecord> rec(1);
  const BenchSummary s = Summarize(plan, rec, 1.0, {}, Targets());
  EXPECT_EQ(s.completed, 0);
  EXPECT_EQ(s.failed, 1);
  EXPECT_EQ(s.ttft.mean_ms, 0);
  EXPECT_EQ(s.itl.p99_ms, 0);
  EXPECT_EQ(*s.slo.tbt_token, 1.0);  // no gaps at all (the simulator's rule)
  EXPECT_EQ(*s.slo.both, 0.0);
}

TEST(BenchMetricsTest, StatsAreNumpys) {
  // np.percentile([1,2,3,4], [50, 95, 99]) = 2.5, 3.85, 3.97; np.std = sqrt(1.25).
  const MetricStats s = ComputeStats({0.004, 0.001, 0.003, 0.002});
  EXPECT_NEAR(s.mean_ms, 2.5, 1e-12);
  EXPECT_NEAR(s.median_ms, 2.5, 1e-12);
  EXPECT_NEAR(s.p95_ms, 3.85, 1e-12);
  EXPECT_NEAR(s.p99_ms, 3.97, 1e-12);
  EXPECT_NEAR(s.std_ms, std::sqrt(1.25), 1e-12);
  const MetricStats one = ComputeStats({0.007});
  EXPECT_NEAR(one.p99_ms, 7, 1e-12);
  EXPECT_EQ(one.std_ms, 0);
}

TEST(BenchMetricsTest, ParseGoodput) {
  auto g = ParseGoodput({"ttft:500", "tpot:50.5", "e2el:0"});
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_EQ(*g->ttft_ms, 500);
  EXPECT_EQ(*g->tpot_ms, 50.5);
  EXPECT_EQ(*g->e2el_ms, 0);
  EXPECT_TRUE(ParseGoodput({})->empty());
  EXPECT_THAT(ParseGoodput({"itl:5"}).status().message(), HasSubstr("unknown metric 'itl'; valid: ttft, tpot, e2el"));
  EXPECT_THAT(ParseGoodput({"ttft"}).status().message(), HasSubstr("KEY:MS"));
  EXPECT_THAT(ParseGoodput({"ttft:-3"}).status().message(), HasSubstr("not a number of milliseconds"));
  EXPECT_THAT(ParseGoodput({"ttft:abc"}).status().message(), HasSubstr("not a number of milliseconds"));
  EXPECT_THAT(ParseGoodput({"ttft:1", "ttft:2"}).status().message(), HasSubstr("given twice"));
}

}  // namespace
}  // namespace cacheopt::bench
