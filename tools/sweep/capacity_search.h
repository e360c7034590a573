// Capacity searches that share their simulations. FindCapacity (sim/capacity.h)
// is the definition; this file runs the same geometric bisection, probe for
// probe, but keeps every (rate, seed) simulation's attainments, so that the
// seed-mean search and each seed's own search, under both definitions (token
// and stall), reuse one set of runs: at a rate they visit in common the
// simulation is the same, and the searches follow one path until their
// decisions differ.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <utility>
#include <vector>

#include "cacheopt/status.h"
#include "sim/capacity.h"

namespace cacheopt::experiment {

// One run's attainments.
struct SeedAttainment {
  double ttft = 0;   // ttft_attainment
  double tbt = 0;    // tbt_attainment (token level)
  double stall = 0;  // stall_attainment
};

// Runs (or recalls) one simulation per (rate, seed). Not thread-safe: one
// search job owns one memo.
class AttainmentMemo {
 public:
  using RunFn = std::function<Result<SeedAttainment>(double rate_rps, uint64_t seed)>;
  explicit AttainmentMemo(RunFn run) : run_(std::move(run)) {}
  Result<SeedAttainment> Get(double rate_rps, uint64_t seed);
  int64_t simulations() const { return simulations_; }

 private:
  RunFn run_;
  std::map<std::pair<double, uint64_t>, SeedAttainment> cache_;
  int64_t simulations_ = 0;
};

// FindCapacity's search over `seeds` (its mean: TTFT and the definition's TBT
// attainment averaged in seed order, each term divided by the seed count, as
// ProbeRate does). opts.seeds and opts.threads are ignored.
Result<CapacityResult> SearchCapacity(AttainmentMemo& memo, const std::vector<uint64_t>& seeds,
                                      const CapacityOptions& opts);

// A capacity as the report gives it: the seed-mean capacity (CACHEOPT.md's
// definition: the search over the mean of the seeds' attainments) and each
// seed's own capacity (the same search on that seed alone), whose min..max is
// the seed range.
struct CapacityEstimate {
  CapacityResult mean;
  std::vector<CapacityResult> per_seed;  // in the order of `seeds`
  double min_rps = 0, max_rps = 0;       // over per_seed
};

Result<CapacityEstimate> EstimateCapacity(AttainmentMemo& memo, const std::vector<uint64_t>& seeds,
                                          const CapacityOptions& opts);

}  // namespace cacheopt::experiment
