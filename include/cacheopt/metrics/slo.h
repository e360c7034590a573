// SLO defaults (CACHEOPT.md): relative to the model's solo speed on its
// hardware, the same for every policy. TTFT SLO = max(1 s, 5 x solo prefill of
// the prompt); TBT SLO = 4x / 8x / 16x the solo decode step at the prompt's
// length for tight / medium / loose; both multiplied by `slo_scale`.
#pragma once

#include "cacheopt/cost/cost_model.h"
#include "cacheopt/events.h"
#include "cacheopt/request.h"

namespace cacheopt {

struct SloOptions {
  double slo_scale = 1.0;
  double ttft_floor_s = 1.0;
  double ttft_multiple = 5.0;
  double tbt_multiple[kNumSloClasses] = {4.0, 8.0, 16.0};
};

// Whether `r` met its targets, judged from its own timeline (any end state:
// a rejected request has no first token, so it missed). TBT: its p95 gap
// (fewer than two tokens: met); stall: that and no gap over the limit.
SloVerdict JudgeSlo(const Request& r, double stall_limit_s);

// Fills spec->ttft_slo_s and spec->tbt_slo_s from spec->slo_class.
void AssignSlo(RequestSpec* spec, const CostModel& cost, const SloOptions& opts);

// The class whose TBT target is nearest an explicit `tbt_slo_s` (for C4).
SloClass NearestSloClass(double tbt_slo_s, double solo_decode_s, const SloOptions& opts);

}  // namespace cacheopt
