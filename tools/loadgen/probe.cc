#include "loadgen/probe.h"

#include <algorithm>

#include "loadgen/stream_request.h"

namespace cacheopt::bench {
namespace {

constexpr int32_t kShort = kProbeShortTokens;
constexpr int32_t kLong = kProbeLongTokens;
constexpr int kRepeats = 2;

PlannedRequest WithLength(const PlannedRequest& first, int32_t tokens, int32_t max_context, bool ignore_eos) {
  PlannedRequest p = first;
  const int32_t room = std::max(1, max_context - first.prompt_tokens);
  p.eos_after = std::min(tokens, room);
  p.max_tokens = ignore_eos ? p.eos_after : room;
  p.default_cap = !ignore_eos;
  return p;
}

}  // namespace

Result<ProbeResult> RunProbe(const HttpTarget& target, const std::string& endpoint, const BodyOptions& body,
                             const PlannedRequest& first, int32_t max_context, bool ignore_eos) {
  ProbeResult out;
  const PlannedRequest lengths[2] = {WithLength(first, kLong, max_context, ignore_eos),
                                     WithLength(first, kShort, max_context, ignore_eos)};
  out.long_tokens = lengths[0].eos_after;
  out.short_tokens = lengths[1].eos_after;
  const bool slope = out.long_tokens - out.short_tokens >= kShort;
  double best_e2el[2] = {1e300, 1e300};
  bool have_first = false;
  for (int k = 0; k < (slope ? 2 : 1); ++k) {
    const std::string json = BuildRequestBody(lengths[k], body);
    for (int rep = 0; rep < kRepeats; ++rep) {
      RequestRecord r = SendStreamingRequest(target, endpoint, json, SteadyClock::now());
      if (!r.success)
        return Status::InvalidArgument("the probe request (sent alone before the run) failed: " + r.error);
      best_e2el[k] = std::min(best_e2el[k], r.e2el_s);
      if (!have_first) {
        out.record = std::move(r);
        have_first = true;
      }
    }
  }
  if (slope) {
    const double step = (best_e2el[0] - best_e2el[1]) / (out.long_tokens - out.short_tokens);
    if (step > 0) out.decode_step_ms = step * 1e3;
  }
  return out;
}

}  // namespace cacheopt::bench
