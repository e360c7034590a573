#include "cacheopt/metrics/slo.h"

#include <algorithm>
#include <cmath>

namespace cacheopt {

void AssignSlo(RequestSpec* spec, const CostModel& cost, const SloOptions& opts) {
  double prefill = cost.SoloPrefillTime(spec->prompt_tokens);
  double decode = cost.SoloDecodeTime(spec->prompt_tokens);
  spec->ttft_slo_s = std::max(opts.ttft_floor_s, opts.ttft_multiple * prefill) * opts.slo_scale;
  spec->tbt_slo_s = opts.tbt_multiple[static_cast<int>(spec->slo_class)] * decode * opts.slo_scale;
}

SloVerdict JudgeSlo(const Request& r, double stall_limit_s) {
  SloVerdict v;
  v.ttft_met = r.first_token_s >= 0 && r.first_token_s - r.spec.arrival_s <= r.spec.ttft_slo_s;
  v.tbt_met = r.gaps.PercentileWithin(95, r.spec.tbt_slo_s);
  v.stall_met = v.tbt_met && r.gaps.longest <= stall_limit_s;
  return v;
}

SloClass NearestSloClass(double tbt_slo_s, double solo_decode_s, const SloOptions& opts) {
  int best = 0;
  double best_d = 1e300;
  for (int c = 0; c < kNumSloClasses; ++c) {
    double d = std::fabs(std::log(tbt_slo_s / (opts.tbt_multiple[c] * solo_decode_s * opts.slo_scale)));
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return static_cast<SloClass>(best);
}

}  // namespace cacheopt
