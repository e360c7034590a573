// A setup's ceilings, read off the capacity records (docs/experiments.md
// "Ceilings"): the KV-free ceiling is the best capacity of any policy with
// the device tier made effectively unbounded; headroom is that ceiling over
// the best baseline's capacity on the setup's own pool.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "sweep/results.h"

namespace cacheopt::experiment {

struct SetupCeiling {
  double ceiling_rps = 0;          // 0 when no ceiling search succeeded
  std::string ceiling_label;       // the capacity policy whose unbounded run set it
  double best_baseline_rps = 0;    // best non-cacheopt capacity policy, setup's pool
  std::string best_baseline_label;
  double headroom = 0;             // ceiling / best baseline; 0 when either is missing
  double best_cacheopt_rps = NAN;  // best cacheopt capacity policy, setup's pool
  // Per capacity policy (capacity.policies order), then per oracle variant
  // (ceilings.oracles order): capacity / ceiling, NaN when unknown.
  std::vector<double> fraction;
  std::vector<double> oracle_fraction;
};

// The seed-mean capacity of `v` on `setup` under `d` (req/s); NaN when its
// search is missing or failed.
double MeanCapacityRps(const ExperimentResults& r, int setup, const Variant& v, CapacityDefinition d);

// Seed means of `d`. Needs ceilings enabled; otherwise every field is empty.
SetupCeiling ComputeCeiling(const ExperimentResults& r, int setup, CapacityDefinition d);

// A baseline is any capacity policy that is not cacheopt (tuned variants
// included: the best baseline is the best of all of them).
bool IsBaseline(const Variant& v);

}  // namespace cacheopt::experiment
