#include "experiment/capacity_search.h"

#include <algorithm>
#include <cmath>

namespace cacheopt::experiment {

Result<SeedAttainment> AttainmentMemo::Get(double rate_rps, uint64_t seed) {
  auto key = std::make_pair(rate_rps, seed);
  if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  auto r = run_(rate_rps, seed);
  if (!r.ok()) return r.status();
  ++simulations_;
  cache_.emplace(key, *r);
  return r;
}

Result<CapacityResult> SearchCapacity(AttainmentMemo& memo, const std::vector<uint64_t>& seeds,
                                      const CapacityOptions& opts) {
  if (seeds.empty()) return Status::InvalidArgument("a capacity search needs at least one seed");
  CapacityResult res;
  const int n = static_cast<int>(seeds.size());
  auto probe = [&](double rate) -> Result<bool> {
    CapacityProbe p;
    p.rate_rps = rate;
    for (uint64_t seed : seeds) {
      auto a = memo.Get(rate, seed);
      if (!a.ok()) return a.status();
      p.ttft_attainment += a->ttft / n;
      p.tbt_attainment += (opts.definition == CapacityDefinition::kStall ? a->stall : a->tbt) / n;
    }
    p.ok = p.ttft_attainment >= opts.target && p.tbt_attainment >= opts.target;
    res.probes.push_back(p);
    return p.ok;
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

Result<CapacityEstimate> EstimateCapacity(AttainmentMemo& memo, const std::vector<uint64_t>& seeds,
                                          const CapacityOptions& opts) {
  CapacityEstimate e;
  auto mean = SearchCapacity(memo, seeds, opts);
  if (!mean.ok()) return mean.status();
  e.mean = std::move(*mean);
  for (uint64_t seed : seeds) {
    auto one = SearchCapacity(memo, {seed}, opts);
    if (!one.ok()) return one.status();
    e.per_seed.push_back(std::move(*one));
  }
  e.min_rps = e.per_seed.front().max_rate_rps;
  e.max_rps = e.min_rps;
  for (const auto& r : e.per_seed) {
    e.min_rps = std::min(e.min_rps, r.max_rate_rps);
    e.max_rps = std::max(e.max_rps, r.max_rate_rps);
  }
  return e;
}

}  // namespace cacheopt::experiment
