// The probe: requests sent one at a time before the run, with the first
// planned request's prompt. Like vLLM's initial test run it checks that the
// server accepts the benchmark's requests (a wrong model name, payload or
// length fails here, before the run). It also measures the server's solo
// decode step, which the TBT SLO targets are multiples of (slo_targets.h),
// as the slope of E2E latency against output length: two output lengths,
// each sent twice, the faster of each pair kept. E2E is measured at the
// last chunk, so the estimate does not depend on how the server groups
// tokens into chunks, nor on when its first chunk leaves.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "loadgen/http_target.h"
#include "loadgen/request_body.h"
#include "loadgen/request_plan.h"
#include "loadgen/request_record.h"
#include "cacheopt/status.h"

namespace cacheopt::bench {

// The probe's two output lengths (fewer where the context leaves less room).
// A server must hold the first prompt plus kProbeLongTokens of output.
inline constexpr int32_t kProbeShortTokens = 8;
inline constexpr int32_t kProbeLongTokens = 40;

struct ProbeResult {
  RequestRecord record;  // the first probe request
  int32_t short_tokens = 0, long_tokens = 0;
  // (E2E at long_tokens - E2E at short_tokens) / (long_tokens - short_tokens);
  // absent when the context leaves too little room or the slope is not > 0.
  std::optional<double> decode_step_ms;
};

// `first`: the first planned request. An error names the failed request's
// problem (the server's message).
Result<ProbeResult> RunProbe(const HttpTarget& target, const std::string& endpoint, const BodyOptions& body,
                             const PlannedRequest& first, int32_t max_context, bool ignore_eos);

}  // namespace cacheopt::bench
