// Capacity (CACHEOPT.md): the highest arrival rate at which the mean over
// seeds of TTFT attainment and of TBT attainment both stay >= the target.
// Geometric bisection between `lo` and `hi` to `rel_width`; every run drains.
#pragma once

#include <functional>
#include <vector>

#include "cacheopt/cost/cost_model.h"
#include "cacheopt/status.h"
#include "sim/simulator.h"
#include "sim/workload.h"

namespace cacheopt {

enum class CapacityDefinition { kToken, kStall };

struct CapacityOptions {
  CapacityDefinition definition = CapacityDefinition::kToken;
  int seeds = 3;             // seeds base, base+1, ...
  double target = 0.9;       // attainment both must reach
  double lo_rps = 0.05;
  double hi_rps = 64;
  double rel_width = 0.02;   // stop when hi/lo <= 1 + rel_width
  int threads = 2;           // runs of one probe in parallel
};

struct CapacityProbe {
  double rate_rps = 0;
  double ttft_attainment = 0;  // mean over seeds
  double tbt_attainment = 0;   // mean over seeds, per the definition
  bool ok = false;
};

struct CapacityResult {
  double max_rate_rps = 0;  // 0 when even lo_rps misses the target
  bool below_range = false;
  bool above_range = false;
  std::vector<CapacityProbe> probes;
};

// `workload.rate_rps` is ignored (the search sets it); `workload.seed` is the
// first seed.
Result<CapacityResult> FindCapacity(const Trace& trace, const WorkloadOptions& workload,
                                    const CostModel& cost, const SimulationOptions& sim,
                                    const CapacityOptions& opts);

// The search itself: geometric bisection over `probe` (rate -> whether the
// target holds there), between opts.lo_rps and opts.hi_rps to opts.rel_width.
// Every probe is recorded in the result.
Result<CapacityResult> BisectCapacity(const std::function<Result<CapacityProbe>(double)>& probe,
                                      const CapacityOptions& opts);

// Mean attainments over seeds at one rate (also used by load curves).
Result<CapacityProbe> ProbeRate(const Trace& trace, WorkloadOptions workload, const CostModel& cost,
                                const SimulationOptions& sim, const CapacityOptions& opts, double rate);

}  // namespace cacheopt
