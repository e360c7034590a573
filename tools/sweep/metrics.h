// The per-run metrics an experiment writes: the fields of `cacheopt simulate
// --json` (apps/summary_io.cc, ResultJson), same names, same order, plus the
// experiment's derived ones.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "sweep/results.h"

namespace cacheopt::experiment {

struct MetricDef {
  const char* name;
  bool integer;  // printed without a fraction
  std::function<double(const RunRecord&)> get;
};

// ResultJson's fields, then derived ones: slo_attainment (the fraction of
// requests meeting both the TTFT SLO and stall-aware TBT: SLO goodput x
// duration / requests), preemptions_per_1000 (both kinds), and per kind.
const std::vector<MetricDef>& RunMetrics();
const MetricDef* FindMetric(const std::string& name);

// Mean/min/max of `metric` over the config's seeds for the run `spec` names
// (its seed is ignored); seeds whose run failed or was skipped are left out;
// n == 0 gives NaN.
SeedStat OverSeeds(const ExperimentResults& r, RunSpec spec, const std::function<double(const RunRecord&)>& metric);
// The RunSpec the planner makes for one seed of these settings.
RunSpec SpecFor(const ExperimentConfig& c, int setup, const Variant& v, double multiple, double slo_scale = 1,
                RateBasis basis = RateBasis::kReference);

// A setup's KV pressure: the reference policy at kPressureMultiples of its
// token-level capacity (means over seeds).
struct KvPressure {
  bool known = false;  // the reference capacity exists and its runs ran
  double reference_rps = 0;
  SeedStat peak_kv_use[2];
  SeedStat preemptions_per_1000[2];
  bool contended = false;  // >= kContendedPreemptions at the second multiple
};
KvPressure ComputeKvPressure(const ExperimentResults& r, int setup);

}  // namespace cacheopt::experiment
