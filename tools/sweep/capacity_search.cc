#include "sweep/capacity_search.h"

#include <algorithm>

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
  const int n = static_cast<int>(seeds.size());
  return BisectCapacity(
      [&](double rate) -> Result<CapacityProbe> {
        CapacityProbe p;
        p.rate_rps = rate;
        for (uint64_t seed : seeds) {
          auto a = memo.Get(rate, seed);
          if (!a.ok()) return a.status();
          p.ttft_attainment += a->ttft / n;
          p.tbt_attainment += (opts.definition == CapacityDefinition::kStall ? a->stall : a->tbt) / n;
        }
        p.ok = p.ttft_attainment >= opts.target && p.tbt_attainment >= opts.target;
        return p;
      },
      opts);
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
