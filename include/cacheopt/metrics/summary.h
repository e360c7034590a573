// Every metric of CACHEOPT.md, computed from ended requests' timelines. The
// engine, the simulator and the benchmark client share these definitions.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "cacheopt/request.h"

namespace cacheopt {

struct SummaryOptions {
  double stall_limit_s = 1.0;  // a frozen stream longer than this is noticed
};

struct Summary {
  int64_t requests_finished = 0;
  int64_t requests_rejected = 0;  // could never fit the KV pool
  int64_t requests_aborted = 0;
  int64_t requests_dropped = 0;   // over the model's context, before the run

  double mean_ttft_ms = 0, p50_ttft_ms = 0, p95_ttft_ms = 0, p99_ttft_ms = 0;
  double mean_tbt_ms = 0, p50_tbt_ms = 0, p95_tbt_ms = 0, p99_tbt_ms = 0;
  double mean_tpot_ms = 0, p99_tpot_ms = 0;
  double p99_longest_stall_ms = 0;
  double mean_e2e_ms = 0, p50_e2e_ms = 0, p99_e2e_ms = 0;
  double normalized_latency_ms = 0;  // mean of E2E / output tokens

  double ttft_attainment = 0;         // requests with TTFT <= SLO
  double tbt_attainment = 0;          // token gaps within their request's SLO
  double tbt_attainment_request = 0;  // requests whose own p95 gap <= SLO
  double stall_attainment = 0;        // p95 gap <= SLO and longest stall <= limit
  double slo_goodput_rps = 0;         // requests/s meeting TTFT and stall-aware TBT

  double duration_s = 0;              // first arrival to last finish
  int64_t output_tokens = 0;
  double throughput_tok_s = 0;
  double request_throughput_rps = 0;

  int64_t preemptions_recompute = 0;
  int64_t preemptions_swap = 0;
  int64_t recomputed_tokens = 0;
  int64_t swapped_blocks = 0;
  int64_t swapped_bytes = 0;  // set by the caller, which knows the block's size
  int32_t max_preemptions_per_request = 0;
};

// `gap_log` holds every token gap of the run (Scheduler::TakeGapLog, in
// seconds). Rejected and aborted requests count as SLO misses in every
// attainment.
Summary Summarize(const std::vector<std::unique_ptr<Request>>& done, const std::vector<float>& gap_log,
                  const SummaryOptions& opts);

}  // namespace cacheopt
