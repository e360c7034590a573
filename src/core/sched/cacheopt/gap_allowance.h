// How many more late gaps (longer than its TBT SLO) a request can take and
// still have its p95 gap within the SLO when it ends: the p95 rule of the
// stall-aware attainment (CACHEOPT.md "Metrics"), turned into a budget the
// scheduler may spend on prefill floors (cacheopt's knob `gap_guard`).
#pragma once

#include <cstdint>

#include "cacheopt/gap_stats.h"

namespace cacheopt {

// Late gaps a request of `total_gaps` gaps may have in all and surely keep
// its p95 (linear interpolation) within the SLO, whatever the sizes.
int64_t LateGapsAllowed(int64_t total_gaps);

// What is left of that for a request whose gaps so far are `g` and which is
// expected to have `expected_gaps` in all (at least one more than so far).
// <= 0: one more late gap may cost its p95.
int64_t LateGapAllowance(const GapStats& g, int64_t expected_gaps);

}  // namespace cacheopt
