#include "sim/capacity.h"

#include <cmath>
#include <thread>

namespace cacheopt {

Result<CapacityProbe> ProbeRate(const Trace& trace, WorkloadOptions workload, const CostModel& cost,
                                const SimulationOptions& sim, const CapacityOptions& opts, double rate) {
  int n = std::max(1, opts.seeds);
  std::vector<Result<SimulationResult>> runs(n, Status::InvalidArgument("not run"));
  auto run_one = [&](int i) {
    WorkloadOptions w = workload;
    w.rate_rps = rate;
    w.seed = workload.seed + static_cast<uint64_t>(i);
    auto built = BuildWorkload(trace, w);
    if (!built.ok()) {
      runs[i] = built.status();
      return;
    }
    runs[i] = Simulate(*built, cost, sim);
  };
  int threads = std::max(1, std::min(opts.threads, n));
  for (int base = 0; base < n; base += threads) {
    std::vector<std::thread> pool;
    for (int i = base + 1; i < std::min(n, base + threads); ++i) pool.emplace_back(run_one, i);
    run_one(base);
    for (auto& t : pool) t.join();
  }
  CapacityProbe p;
  p.rate_rps = rate;
  for (auto& r : runs) {
    if (!r.ok()) return r.status();
    p.ttft_attainment += r->summary.ttft_attainment / n;
    p.tbt_attainment += (opts.definition == CapacityDefinition::kStall ? r->summary.stall_attainment
                                                                       : r->summary.tbt_attainment) /
                        n;
  }
  p.ok = p.ttft_attainment >= opts.target && p.tbt_attainment >= opts.target;
  return p;
}

Result<CapacityResult> BisectCapacity(const std::function<Result<CapacityProbe>(double)>& probe_rate,
                                      const CapacityOptions& opts) {
  CapacityResult res;
  auto probe = [&](double rate) -> Result<bool> {
    auto p = probe_rate(rate);
    if (!p.ok()) return p.status();
    res.probes.push_back(*p);
    return p->ok;
  };
  double lo = opts.lo_rps, hi = opts.hi_rps;
  auto at_lo = probe(lo);
  if (!at_lo.ok()) return at_lo.status();
  if (!*at_lo) {
    res.below_range = true;
    return res;
  }
  auto at_hi = probe(hi);
  if (!at_hi.ok()) return at_hi.status();
  if (*at_hi) {
    res.above_range = true;
    res.max_rate_rps = hi;
    return res;
  }
  while (hi / lo > 1 + opts.rel_width) {
    double mid = std::sqrt(lo * hi);
    auto ok = probe(mid);
    if (!ok.ok()) return ok.status();
    (*ok ? lo : hi) = mid;
  }
  res.max_rate_rps = lo;
  return res;
}

Result<CapacityResult> FindCapacity(const Trace& trace, const WorkloadOptions& workload,
                                    const CostModel& cost, const SimulationOptions& sim,
                                    const CapacityOptions& opts) {
  return BisectCapacity([&](double rate) { return ProbeRate(trace, workload, cost, sim, opts, rate); }, opts);
}

}  // namespace cacheopt
