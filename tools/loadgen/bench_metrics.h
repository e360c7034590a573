// The benchmark's summary with vLLM's names and meanings
// (vllm/benchmarks/serve.py, calculate_metrics), plus our SLO attainment
// (CACHEOPT.md, "Metrics") under our own names:
// - Only successful requests enter the latency statistics and the token
//   totals; failed ones count in `failed`.
// - TPOT = (E2E - TTFT) / (output tokens - 1), for requests with more than
//   one output token; ITL pools every request's gaps.
// - mean, median, std (population, numpy's np.std), p95 and p99 (linear
//   interpolation, numpy's default), in ms; an empty list gives 0 (numpy of
//   `[] or 0`).
// - Throughputs divide by the benchmark's duration (first send to last
//   answer, as vLLM's benchmark_duration).
// - request_goodput (only with --goodput): successful requests whose every
//   given metric is <= its limit, per second; a request with one output
//   token has TPOT 0 there (vLLM's rule).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "loadgen/request_plan.h"
#include "loadgen/request_record.h"
#include "loadgen/slo_targets.h"
#include "cacheopt/status.h"

namespace cacheopt::bench {

// vLLM's --goodput "KEY:VALUE" pairs, milliseconds; keys ttft, tpot, e2el.
struct GoodputConfig {
  std::optional<double> ttft_ms, tpot_ms, e2el_ms;
  bool empty() const { return !ttft_ms && !tpot_ms && !e2el_ms; }
};
// Errors: a key other than ttft / tpot / e2el, a value that is not a number
// >= 0, a key given twice, no ':'.
Result<GoodputConfig> ParseGoodput(const std::vector<std::string>& items);

struct MetricStats {
  double mean_ms = 0, median_ms = 0, std_ms = 0, p95_ms = 0, p99_ms = 0;
};
// `seconds`: the samples (reordered).
MetricStats ComputeStats(std::vector<double> seconds);

// Fractions of every request of the run (a failed request misses), except
// tbt_token, which counts token gaps of the successful ones (a run without
// gaps has 1 when it has requests). TBT fields are absent when the targets
// are unknown.
struct SloAttainment {
  double ttft = 0;                    // TTFT <= its class's target
  std::optional<double> tbt_token;    // gaps <= their request's target
  std::optional<double> tbt_request;  // requests whose own p95 gap <= target
  // Own p95 gap <= target and longest gap <= the stall limit (1 s, the
  // simulator's SummaryOptions).
  std::optional<double> tbt_stall;
  std::optional<double> both;         // TTFT met and tbt_stall met
  std::optional<double> goodput_rps;  // requests meeting `both`, per second
};

// How every request ended, for fault and overload tests: each request is in
// exactly one of the counts but by_status.
struct Outcomes {
  int64_t completed = 0;       // a full answer
  int64_t server_errors = 0;   // an error from the server: a 4xx/5xx, or an error event
  int64_t hung_up = 0;         // injected: the client hung up mid-stream
  int64_t malformed_refused = 0;  // injected malformed body answered with a 4xx
  int64_t malformed_other = 0;    // injected malformed body answered otherwise (a server bug)
  int64_t time_limit = 0;      // not sent or abandoned at --time-limit
  int64_t no_answer = 0;       // no HTTP answer at all (connection refused or reset)
  int64_t lost = 0;            // a 200, then the stream ended without a finish or an error
  std::map<int, int64_t> by_status;  // HTTP status -> requests (0: none), faults included
};

struct BenchSummary {
  double duration_s = 0;
  int64_t completed = 0;
  int64_t failed = 0;
  int64_t total_input_tokens = 0;   // prompt tokens of successful requests
  int64_t total_output_tokens = 0;  // output tokens of successful requests
  double request_throughput = 0;
  std::optional<double> request_goodput;  // only with --goodput
  double output_throughput = 0;
  double total_token_throughput = 0;
  MetricStats ttft, tpot, itl, e2el;
  SloAttainment slo;
  Outcomes outcomes;
};

// A request's prompt length: the server's usage.prompt_tokens when reported,
// else what was sent.
int32_t InputTokens(const PlannedRequest& p, const RequestRecord& r);

// Adds `r` to the one count its end belongs in (and to by_status).
void CountOutcome(const RequestRecord& r, Outcomes* o);

// `plan` and `records` are parallel (records[i] is plan[i]'s outcome).
BenchSummary Summarize(const std::vector<PlannedRequest>& plan, const std::vector<RequestRecord>& records,
                       double duration_s, const GoodputConfig& goodput, const SloTargets& slo);

}  // namespace cacheopt::bench
