#include "loadgen/bench_metrics.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdlib>

#include "cacheopt/gap_stats.h"
#include "cacheopt/metrics/percentile.h"
#include "cacheopt/metrics/summary.h"

namespace cacheopt::bench {

Result<GoodputConfig> ParseGoodput(const std::vector<std::string>& items) {
  GoodputConfig g;
  for (const std::string& item : items) {
    const size_t colon = item.find(':');
    if (colon == std::string::npos)
      return Status::InvalidArgument("--goodput expects KEY:MS pairs (keys ttft, tpot, e2el), got '" + item + "'");
    const std::string key = item.substr(0, colon);
    const std::string value = item.substr(colon + 1);
    char* end = nullptr;
    const double ms = std::strtod(value.c_str(), &end);
    if (value.empty() || end != value.c_str() + value.size() || !(ms >= 0) || !std::isfinite(ms))
      return Status::InvalidArgument("--goodput " + key + ": '" + value + "' is not a number of milliseconds >= 0");
    std::optional<double>* slot = key == "ttft"   ? &g.ttft_ms
                                  : key == "tpot" ? &g.tpot_ms
                                  : key == "e2el" ? &g.e2el_ms
                                                  : nullptr;
    if (slot == nullptr)
      return Status::InvalidArgument("--goodput: unknown metric '" + key + "'; valid: ttft, tpot, e2el");
    if (*slot) return Status::InvalidArgument("--goodput: '" + key + "' given twice");
    *slot = ms;
  }
  return g;
}

MetricStats ComputeStats(std::vector<double> v) {
  MetricStats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  const double mean = Mean(v);
  double sq = 0;
  for (double x : v) sq += (x - mean) * (x - mean);
  s.mean_ms = mean * 1e3;
  s.std_ms = std::sqrt(sq / static_cast<double>(v.size())) * 1e3;
  s.median_ms = PercentileSorted(v, 50) * 1e3;
  s.p95_ms = PercentileSorted(v, 95) * 1e3;
  s.p99_ms = PercentileSorted(v, 99) * 1e3;
  return s;
}

int32_t InputTokens(const PlannedRequest& p, const RequestRecord& r) {
  return r.prompt_tokens_reported >= 0 ? r.prompt_tokens_reported : p.prompt_tokens;
}

void CountOutcome(const RequestRecord& r, Outcomes* o) {
  ++o->by_status[r.http_status];
  if (r.fault == "malformed") {
    ++(r.http_status >= 400 && r.http_status < 500 ? o->malformed_refused : o->malformed_other);
  } else if (r.fault == "disconnect") {
    ++o->hung_up;
  } else if (r.fault == "time-limit") {
    ++o->time_limit;
  } else if (r.success) {
    ++o->completed;
  } else if (r.server_error) {
    ++o->server_errors;
  } else if (r.http_status == 0) {
    ++o->no_answer;
  } else {
    ++o->lost;
  }
}

BenchSummary Summarize(const std::vector<PlannedRequest>& plan, const std::vector<RequestRecord>& records,
                       double duration_s, const GoodputConfig& goodput, const SloTargets& slo) {
  assert(plan.size() == records.size());
  BenchSummary s;
  s.duration_s = duration_s;
  std::vector<double> ttfts, tpots, itls, e2els;
  int64_t good = 0;
  int64_t ttft_ok = 0, tbt_req_ok = 0, stall_ok = 0, both_ok = 0;
  int64_t gaps_ok = 0, gaps_all = 0;
  const double stall_limit_s = SummaryOptions{}.stall_limit_s;

  for (size_t i = 0; i < records.size(); ++i) {
    const RequestRecord& r = records[i];
    CountOutcome(r, &s.outcomes);
    if (!r.success) {
      ++s.failed;
      continue;
    }
    ++s.completed;
    s.total_input_tokens += InputTokens(plan[i], r);
    s.total_output_tokens += r.output_tokens;
    ttfts.push_back(r.ttft_s);
    e2els.push_back(r.e2el_s);
    itls.insert(itls.end(), r.itls_s.begin(), r.itls_s.end());
    double tpot = 0;  // goodput's value for a single-token answer
    if (r.output_tokens > 1) {
      tpot = (r.e2el_s - r.ttft_s) / (r.output_tokens - 1);
      tpots.push_back(tpot);
    }
    if (!goodput.empty()) {
      const bool ok = (!goodput.ttft_ms || r.ttft_s * 1e3 <= *goodput.ttft_ms) &&
                      (!goodput.tpot_ms || tpot * 1e3 <= *goodput.tpot_ms) &&
                      (!goodput.e2el_ms || r.e2el_s * 1e3 <= *goodput.e2el_ms);
      good += ok;
    }

    const bool ttft_met = r.ttft_s <= slo.Ttft(i, plan[i].slo_class);
    ttft_ok += ttft_met;
    if (const std::optional<double> tbt = slo.Tbt(i, plan[i].slo_class)) {
      const double target = *tbt;
      GapStats g;
      for (double gap : r.itls_s) g.Add(gap, target);
      gaps_ok += g.within;
      gaps_all += g.count;
      const bool own = g.PercentileWithin(95, target);
      const bool stall = own && g.longest <= stall_limit_s;
      tbt_req_ok += own;
      stall_ok += stall;
      both_ok += ttft_met && stall;
    }
  }

  const double n = static_cast<double>(records.size());
  if (duration_s > 0) {
    s.request_throughput = s.completed / duration_s;
    s.output_throughput = s.total_output_tokens / duration_s;
    s.total_token_throughput = (s.total_input_tokens + s.total_output_tokens) / duration_s;
    if (!goodput.empty()) s.request_goodput = good / duration_s;
  } else if (!goodput.empty()) {
    s.request_goodput = 0.0;
  }
  s.ttft = ComputeStats(std::move(ttfts));
  s.tpot = ComputeStats(std::move(tpots));
  s.itl = ComputeStats(std::move(itls));
  s.e2el = ComputeStats(std::move(e2els));

  s.slo.ttft = n > 0 ? ttft_ok / n : 0;
  if (slo.tbt_known()) {
    s.slo.tbt_token = gaps_all > 0 ? static_cast<double>(gaps_ok) / gaps_all : (n > 0 ? 1.0 : 0.0);
    s.slo.tbt_request = n > 0 ? tbt_req_ok / n : 0;
    s.slo.tbt_stall = n > 0 ? stall_ok / n : 0;
    s.slo.both = n > 0 ? both_ok / n : 0;
    s.slo.goodput_rps = duration_s > 0 ? both_ok / duration_s : 0;
  }
  return s;
}

}  // namespace cacheopt::bench
