// Turns a trace into the requests one simulation run replays: which rows, in
// what order, arriving when, with what client cap and SLO class. Every policy
// gets the same Workload for the same trace, options and seed (CACHEOPT.md,
// "One model of time and memory" and "Metrics").
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cacheopt/status.h"
#include "sim/arrivals.h"
#include "trace/trace.h"

namespace cacheopt {

struct WorkloadOptions {
  // Default: replay if the trace has timestamps, else poisson. Replay on a
  // length-only trace is an error.
  std::optional<ArrivalKind> arrival;
  // Target mean arrival rate, requests/s; must be > 0. Replay reaches it by
  // time-scaling the window, Poisson and Gamma draw at it.
  double rate_rps = 0;
  // Gamma only: coefficient of variation of the inter-arrival gaps. Default
  // 3.0, the bursty setting of EVALUATION.md's experiments.
  double arrival_cv = 3.0;
  // How many requests; <= 0 means every row that fits the context. More than
  // fit: all of them are used and `description` says so (not an error, so a
  // sweep can ask one N of every trace).
  int64_t num_requests = 0;
  // Picks the window (timestamped trace) or the row order (length-only), the
  // synthetic arrivals and the drawn SLO classes, each from its own stream.
  uint64_t seed = 0;
  // The model's context: rows with prompt + output > max_context are dropped
  // (for every policy alike) and counted. Must be > 0.
  int32_t max_context = 4096;
  // Instead of dropping them, cut such rows' prompts to fit (their head is
  // kept: it is the shared prefix) and count them. For long-prompt traces
  // (Mooncake: mean prompt 15k tokens) on short-context models, where dropping
  // would keep only the short rows and change the workload's character.
  bool clip_prompts = false;
  // `--max-tokens-cap`: if > 0, every request's max_tokens is at most this.
  int32_t max_tokens_cap = -1;
};

struct WorkloadRequest {
  int64_t id = 0;        // 0..n-1 in arrival order
  double arrival_s = 0;  // the first request arrives at 0
  int32_t prompt_tokens = 0;
  // The true output length: only the executor may read it (it plays EOS).
  // Never more than max_tokens: a client's cap ends generation first.
  int32_t output_tokens = 0;
  // The client's cap, what the scheduler sees: the row's cap if given, else
  // max_context - prompt; never above max_context - prompt; then at most
  // max_tokens_cap when that is > 0.
  int32_t max_tokens = 0;
  int slo_class = 1;  // 0 tight, 1 medium, 2 loose
  // The trace's prefix identity (TraceRow::prefix_block_ids); null without.
  std::shared_ptr<const std::vector<int64_t>> prefix_ids = nullptr;
  int32_t prefix_unit = 0;  // tokens per prefix id (Trace::prefix_block_tokens)
  // The ids run on over its answer (Trace::prefix_ids_cover_output), and the
  // prompt is the trace's whole prompt (not clipped).
  bool prefix_covers_output = false;
};

struct Workload {
  std::vector<WorkloadRequest> requests;
  int64_t dropped_over_context = 0;  // rows with prompt + output > max_context
  int64_t rows_available = 0;        // rows left after that drop
  // Requests whose prompt was cut to fit the context (clip_prompts).
  int64_t clipped_to_context = 0;
  // Requests whose true output exceeded max_tokens and was cut to it.
  int64_t truncated_to_max_tokens = 0;
  std::string description;  // one line for logs and reports
};

// Deterministic: the same trace, options and seed give an identical Workload.
//
// Rows with prompt + output > max_context are dropped first. Then, with n the
// requested count (capped at the rows left):
// - timestamped trace: the n consecutive rows starting at a position drawn
//   uniformly from every valid start (stream kWorkloadWindow), kept in trace
//   order;
// - length-only trace: the rows shuffled (Fisher-Yates, stream
//   kWorkloadWindow), the first n taken.
// Arrivals: replay time-scales the window's timestamps to rate_rps (first at
// 0); poisson / gamma draw gaps from stream kWorkloadArrivals. SLO classes:
// one uniform draw per request from stream kWorkloadSlo, overridden by the
// row's own class when it has one.
Result<Workload> BuildWorkload(const Trace& trace, const WorkloadOptions& opts);

}  // namespace cacheopt
