#include "cacheopt/metrics/summary.h"

#include <algorithm>
#include <limits>

#include "cacheopt/metrics/percentile.h"
#include "cacheopt/metrics/slo.h"

namespace cacheopt {

Summary Summarize(const std::vector<std::unique_ptr<Request>>& done, const std::vector<float>& gap_log,
                  const SummaryOptions& opts) {
  Summary s;
  std::vector<double> ttft, tpot, e2e, stall, norm;
  int64_t gaps_ok = 0, gaps_all = 0;
  int64_t ttft_ok = 0, tbt_req_ok = 0, stall_ok = 0, good = 0;
  double first_arrival = std::numeric_limits<double>::infinity();
  double last_finish = -std::numeric_limits<double>::infinity();

  for (const auto& rp : done) {
    const Request& r = *rp;
    first_arrival = std::min(first_arrival, r.spec.arrival_s);
    last_finish = std::max(last_finish, r.finish_s);
    s.preemptions_recompute += r.preemptions_recompute;
    s.preemptions_swap += r.preemptions_swap;
    s.recomputed_tokens += r.recomputed_tokens;
    s.swapped_blocks += r.swapped_blocks;
    s.max_preemptions_per_request = std::max(s.max_preemptions_per_request, r.Preemptions());
    if (r.state == RequestState::kRejected) {
      ++s.requests_rejected;
      continue;
    }
    if (r.state == RequestState::kAborted) {
      ++s.requests_aborted;
      continue;
    }
    ++s.requests_finished;
    s.output_tokens += r.num_output;
    double t = r.first_token_s - r.spec.arrival_s;
    double e = r.last_token_s - r.spec.arrival_s;
    ttft.push_back(t);
    e2e.push_back(e);
    norm.push_back(e / std::max(1, r.num_output));
    if (r.num_output > 1) tpot.push_back((e - t) / (r.num_output - 1));
    const SloVerdict v = JudgeSlo(r, opts.stall_limit_s);
    ttft_ok += v.ttft_met;
    gaps_ok += r.gaps.within;
    gaps_all += r.gaps.count;
    stall.push_back(r.gaps.longest);
    tbt_req_ok += v.tbt_met;
    stall_ok += v.stall_met;
    good += v.Good();
  }

  auto ms = [](double x) { return x * 1e3; };
  std::sort(ttft.begin(), ttft.end());
  s.mean_ttft_ms = ms(Mean(ttft));
  s.p50_ttft_ms = ms(PercentileSorted(ttft, 50));
  s.p95_ttft_ms = ms(PercentileSorted(ttft, 95));
  s.p99_ttft_ms = ms(PercentileSorted(ttft, 99));
  std::vector<double> gaps(gap_log.begin(), gap_log.end());
  std::sort(gaps.begin(), gaps.end());
  s.mean_tbt_ms = ms(Mean(gaps));
  s.p50_tbt_ms = ms(PercentileSorted(gaps, 50));
  s.p95_tbt_ms = ms(PercentileSorted(gaps, 95));
  s.p99_tbt_ms = ms(PercentileSorted(gaps, 99));
  s.mean_tpot_ms = ms(Mean(tpot));
  s.p99_tpot_ms = ms(Percentile(tpot, 99));
  s.p99_longest_stall_ms = ms(Percentile(stall, 99));
  std::sort(e2e.begin(), e2e.end());
  s.mean_e2e_ms = ms(Mean(e2e));
  s.p50_e2e_ms = ms(PercentileSorted(e2e, 50));
  s.p99_e2e_ms = ms(PercentileSorted(e2e, 99));
  s.normalized_latency_ms = ms(Mean(norm));

  // Denominators include rejected and aborted requests: they missed.
  double n = static_cast<double>(done.size());
  if (n > 0) {
    s.ttft_attainment = ttft_ok / n;
    s.tbt_attainment_request = tbt_req_ok / n;
    s.stall_attainment = stall_ok / n;
  }
  s.tbt_attainment = gaps_all > 0 ? static_cast<double>(gaps_ok) / gaps_all : (n > 0 ? 1.0 : 0.0);
  if (!done.empty() && last_finish > first_arrival) {
    s.duration_s = last_finish - first_arrival;
    s.slo_goodput_rps = good / s.duration_s;
    s.throughput_tok_s = s.output_tokens / s.duration_s;
    s.request_throughput_rps = s.requests_finished / s.duration_s;
  }
  return s;
}

}  // namespace cacheopt
