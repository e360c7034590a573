// Trace -> the requests a benchmark sends (EVALUATION.md, "The real engine's
// workload" and "Benchmark client"): lengths scaled into a small model's
// context, rows that still do not fit dropped, which rows and their SLO
// classes chosen by BuildWorkload (the simulator's own code, so the same
// seed gives the simulator the same workload), send times from the same
// arrival processes, and prompt token ids drawn from the seed.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "cacheopt/status.h"
#include "sim/arrivals.h"
#include "trace/trace.h"

namespace cacheopt::bench {

struct ArrivalSpec {
  ArrivalKind kind = ArrivalKind::kPoisson;  // kPoisson or kGamma
  double cv = 1.0;                           // Gamma's coefficient of variation
};

// `--burstiness K` (vLLM's meaning: the Gamma shape; 1 is Poisson, smaller is
// burstier; CV = 1 / sqrt(K)) or `--arrival-cv CV`, at most one. Neither, or
// exactly Poisson's shape (K = 1, CV = 1): Poisson, whose draws are the
// simulator's `poisson`. Errors: both given; a value <= 0 or not finite.
Result<ArrivalSpec> ArrivalFromFlags(std::optional<double> burstiness, std::optional<double> arrival_cv);

struct PlanOptions {
  // Prompt and output lengths (and a trace's own cap) are divided by this
  // and rounded to the nearest token, at least 1. Must be > 0; 1 keeps them.
  double length_scale = 8;
  // The model's context: rows with scaled prompt + output over it are
  // dropped. Must be > 0.
  int32_t max_context = 0;
  int64_t num_requests = 0;  // > 0; more than fit: all that fit
  uint64_t seed = 0;
  // Mean send rate, requests/s, > 0; infinity sends every request at once.
  double rate_rps = std::numeric_limits<double>::infinity();
  ArrivalSpec arrival;
  // Prompt token ids are drawn uniformly from [token_lo, token_hi).
  int32_t token_lo = 3;
  int32_t token_hi = 256;
  // vLLM's like-for-like mode: max_tokens = the trace's output length.
  bool ignore_eos = false;
};

struct PlannedRequest {
  int64_t id = 0;            // 0..n-1 in send order
  double send_offset_s = 0;  // from the benchmark's start; the first at 0
  int32_t prompt_tokens = 0;
  std::vector<int32_t> prompt_ids;  // prompt_tokens ids
  // The trace's (scaled) output length, sent as eos_after: only the server's
  // sampler may read it.
  int32_t eos_after = 0;
  // The cap sent as max_tokens: the workload's (context - prompt, or the
  // trace's cap), or eos_after with ignore_eos.
  int32_t max_tokens = 0;
  // max_tokens is the default cap, context - prompt (no cap of the trace's,
  // no ignore_eos): a chat request may leave it out and let the server
  // apply it to the prompt it tokenized, whose length the client cannot know.
  bool default_cap = false;
  int slo_class = 1;  // 0 tight, 1 medium, 2 loose
  // The SLOs this request is judged by, sent as the `ttft_slo_ms` /
  // `tbt_slo_ms` extension fields so that a server can schedule for them;
  // <= 0: not sent (the server applies its class defaults).
  double ttft_slo_ms = 0, tbt_slo_ms = 0;
};

struct RequestPlan {
  std::vector<PlannedRequest> requests;
  int64_t trace_rows = 0;
  int64_t dropped_over_context = 0;  // rows whose scaled lengths do not fit
  std::string description;           // one line for the log and the result
};

// The trace with every length divided by `factor` (see PlanOptions).
Trace ScaleTraceLengths(const Trace& trace, double factor);

// Deterministic: the same trace, options and seed give the same plan.
// Errors: a bad option (named), no row that fits the context.
Result<RequestPlan> BuildRequestPlan(const Trace& trace, const PlanOptions& opts);

// "tight" | "medium" | "loose".
const char* SloClassName(int slo_class);

}  // namespace cacheopt::bench
