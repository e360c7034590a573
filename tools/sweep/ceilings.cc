#include "sweep/ceilings.h"

#include <cmath>

namespace cacheopt::experiment {
double MeanCapacityRps(const ExperimentResults& r, int setup, const Variant& v, CapacityDefinition d) {
  const CapacityRecord* cap = r.FindCapacity(setup, v);
  const CapacityEstimate* e = cap != nullptr && cap->status.ok() ? cap->Find(d) : nullptr;
  return e != nullptr ? e->mean.max_rate_rps : NAN;
}

bool IsBaseline(const Variant& v) { return v.policy != "cacheopt"; }

SetupCeiling ComputeCeiling(const ExperimentResults& r, int setup, CapacityDefinition d) {
  SetupCeiling out;
  const ExperimentConfig& c = *r.config;
  if (!c.ceilings.enabled) return out;
  for (const Variant& v : c.ceilings.unbounded) {
    const double x = MeanCapacityRps(r, setup, v, d);
    if (std::isfinite(x) && x > out.ceiling_rps) {
      out.ceiling_rps = x;
      out.ceiling_label = v.label;
    }
  }
  for (const auto& label : c.capacity.policies) {
    const Variant& v = *c.FindPolicy(label);
    const double x = MeanCapacityRps(r, setup, v, d);
    if (IsBaseline(v) && std::isfinite(x) && x > out.best_baseline_rps) {
      out.best_baseline_rps = x;
      out.best_baseline_label = label;
    }
    if (!IsBaseline(v) && std::isfinite(x) && (std::isnan(out.best_cacheopt_rps) || x > out.best_cacheopt_rps))
      out.best_cacheopt_rps = x;
    out.fraction.push_back(out.ceiling_rps > 0 && std::isfinite(x) ? x / out.ceiling_rps : NAN);
  }
  for (const Variant& v : c.ceilings.oracles) {
    const double x = MeanCapacityRps(r, setup, v, d);
    out.oracle_fraction.push_back(out.ceiling_rps > 0 && std::isfinite(x) ? x / out.ceiling_rps : NAN);
  }
  if (out.ceiling_rps > 0 && out.best_baseline_rps > 0) out.headroom = out.ceiling_rps / out.best_baseline_rps;
  return out;
}

}  // namespace cacheopt::experiment
