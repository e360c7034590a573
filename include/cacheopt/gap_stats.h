// A request's token gaps summarised online, in O(1) memory, against its own
// TBT SLO: enough to decide exactly whether its p95 gap (linear
// interpolation) meets the SLO, plus its longest stall. Keeping every gap per
// request cost half of a scheduler step (bench/scheduler_bench.cc).
#pragma once

#include <cstdint>
#include <limits>

namespace cacheopt {

struct GapStats {
  int32_t count = 0;    // gaps seen
  int32_t within = 0;   // gaps <= SLO
  double max_within = -1;                                      // largest gap <= SLO
  double min_over = std::numeric_limits<double>::infinity();  // smallest gap > SLO
  double longest = 0;

  void Add(double gap, double slo) {
    ++count;
    if (gap <= slo) {
      ++within;
      if (gap > max_within) max_within = gap;
    } else if (gap < min_over) {
      min_over = gap;
    }
    if (gap > longest) longest = gap;
  }

  // Whether the p`p` percentile of the gaps (linear interpolation between
  // order statistics) is <= slo. With sorted gaps g, the percentile lies
  // between g[lo] and g[lo+1]; `within` tells where the SLO falls, and when it
  // falls between them those two are exactly max_within and min_over.
  bool PercentileWithin(double p, double slo) const {
    if (count == 0) return true;
    double rank = p / 100.0 * (count - 1);
    int32_t lo = static_cast<int32_t>(rank);
    int32_t hi = lo + 1 < count ? lo + 1 : lo;
    if (within >= hi + 1) return true;  // g[hi] <= slo
    if (within < lo + 1) return false;  // g[lo] > slo
    double frac = rank - lo;            // g[lo] = max_within, g[hi] = min_over
    return max_within + frac * (min_over - max_within) <= slo;
  }
};

}  // namespace cacheopt
