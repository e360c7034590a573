#include "sweep/results.h"

#include <cstdio>

namespace cacheopt::experiment {
namespace {

std::string Exact(double v) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

}  // namespace

std::string RunSpec::Key() const {
  return std::to_string(setup) + "|" + variant.Key() + "|seed=" + std::to_string(seed) + "|x=" + Exact(multiple) +
         "|slo=" + Exact(slo_scale) + "|n=" + std::to_string(requests) + "|kv=" + std::to_string(kv_device_blocks) +
         (timed ? "|timed" : "") + (basis != RateBasis::kReference ? "|basis=" + std::to_string(int(basis)) : "");
}

double RunRecord::PreemptionsPer1000() const {
  if (workload_requests <= 0) return 0;
  return 1000.0 * static_cast<double>(sim.summary.preemptions_recompute + sim.summary.preemptions_swap) /
         static_cast<double>(workload_requests);
}

const CapacityEstimate* CapacityRecord::Find(CapacityDefinition d) const {
  if (!status.ok()) return nullptr;
  for (size_t i = 0; i < definitions.size() && i < estimates.size(); ++i)
    if (definitions[i] == d) return &estimates[i];
  return nullptr;
}

std::string CapacityKey(int setup, const Variant& v) { return std::to_string(setup) + "|" + v.Key(); }

const RunRecord* ExperimentResults::FindRun(const RunSpec& spec) const {
  auto it = run_index.find(spec.Key());
  return it == run_index.end() ? nullptr : &runs[it->second];
}

const CapacityRecord* ExperimentResults::FindCapacity(int setup, const Variant& v) const {
  auto it = capacity_index.find(CapacityKey(setup, v));
  return it == capacity_index.end() ? nullptr : &capacities[it->second];
}

std::vector<std::string> ExperimentResults::Failures() const {
  std::vector<std::string> out;
  for (const auto& c : capacities)
    if (!c.status.ok())
      out.push_back(setups[c.setup].spec.name + " " + c.variant.label + " capacity: " + c.status.message());
  for (const auto& r : runs)
    if (!r.status.ok() && !r.skipped)
      out.push_back(setups[r.spec.setup].spec.name + " " + r.spec.variant.label + " seed " +
                    std::to_string(r.spec.seed) + " at " + std::to_string(r.spec.multiple) +
                    "x: " + r.status.message());
  return out;
}

}  // namespace cacheopt::experiment
