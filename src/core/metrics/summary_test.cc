#include "cacheopt/metrics/summary.h"

#include <gtest/gtest.h>

#include "cacheopt/metrics/percentile.h"

namespace cacheopt {
namespace {

std::unique_ptr<Request> Finished(int64_t id, double arrival, double ttft_slo, double tbt_slo,
                                  std::vector<double> token_times, std::vector<float>* log) {
  auto r = std::make_unique<Request>();
  r->spec.id = id;
  r->spec.arrival_s = arrival;
  r->spec.ttft_slo_s = ttft_slo;
  r->spec.tbt_slo_s = tbt_slo;
  r->state = RequestState::kFinished;
  r->num_output = static_cast<int32_t>(token_times.size());
  r->first_token_s = token_times.front();
  r->last_token_s = r->finish_s = token_times.back();
  for (size_t i = 1; i < token_times.size(); ++i) {
    double g = token_times[i] - token_times[i - 1];
    r->gaps.Add(g, tbt_slo);
    log->push_back(g);
  }
  return r;
}

TEST(PercentileTest, LinearInterpolationBetweenOrderStatistics) {
  std::vector<double> v = {4, 1, 3, 2};
  EXPECT_DOUBLE_EQ(Percentile(v, 50), 2.5);
  EXPECT_DOUBLE_EQ(PercentileSorted(v, 0), 1);
  EXPECT_DOUBLE_EQ(PercentileSorted(v, 100), 4);
  EXPECT_DOUBLE_EQ(PercentileSorted(v, 95), 3.85);
}

TEST(SummaryTest, HandComputedRun) {
  std::vector<std::unique_ptr<Request>> done;
  std::vector<float> log;
  // A: arrives 0, first token 0.5 (SLO 1 s met), gaps 0.1 0.1 0.1 (SLO 0.2 met).
  done.push_back(Finished(0, 0.0, 1.0, 0.2, {0.5, 0.6, 0.7, 0.8}, &log));
  // B: arrives 1, first token 3 (SLO 1 s missed), gaps 0.1, 1.5 (a stall), 0.1.
  done.push_back(Finished(1, 1.0, 1.0, 0.2, {3.0, 3.1, 4.6, 4.7}, &log));
  // C: rejected: counts as a miss everywhere.
  auto c = std::make_unique<Request>();
  c->state = RequestState::kRejected;
  c->spec.arrival_s = 2.0;
  c->finish_s = 2.0;
  done.push_back(std::move(c));

  Summary s = Summarize(done, log, SummaryOptions{});
  EXPECT_EQ(s.requests_finished, 2);
  EXPECT_EQ(s.requests_rejected, 1);
  EXPECT_NEAR(s.p50_ttft_ms, 1250, 1e-6);  // TTFTs 0.5 and 2.0
  EXPECT_NEAR(s.ttft_attainment, 1.0 / 3, 1e-12);
  EXPECT_NEAR(s.tbt_attainment, 5.0 / 6, 1e-12);  // one gap of six over its SLO
  // B's own p95 gap is over its SLO (1.5 s is its largest of three gaps).
  EXPECT_NEAR(s.tbt_attainment_request, 1.0 / 3, 1e-12);
  EXPECT_NEAR(s.stall_attainment, 1.0 / 3, 1e-12);
  EXPECT_NEAR(s.p99_longest_stall_ms, 100 + 0.99 * 1400, 1e-6);
  EXPECT_NEAR(s.p50_tbt_ms, 100, 1e-4);  // the log keeps float precision
  EXPECT_NEAR(s.duration_s, 4.7, 1e-12);
  EXPECT_NEAR(s.slo_goodput_rps, 1 / 4.7, 1e-12);
  EXPECT_EQ(s.output_tokens, 8);
  EXPECT_NEAR(s.mean_tpot_ms, ((0.3 / 3) + (1.7 / 3)) / 2 * 1e3, 1e-6);
}

}  // namespace
}  // namespace cacheopt
