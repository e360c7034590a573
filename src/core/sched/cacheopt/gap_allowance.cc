#include "core/sched/cacheopt/gap_allowance.h"

#include <algorithm>
#include <cmath>

namespace cacheopt {

int64_t LateGapsAllowed(int64_t total_gaps) {
  if (total_gaps < 2) return 0;
  // Sorted gaps g[0..N-1]: p95 lies between g[lo] and g[lo+1], lo =
  // floor(0.95 (N-1)). It is surely within when g[lo+1] is, i.e. when at
  // least lo + 2 gaps are: at most N - 2 - lo late ones.
  const int64_t lo = static_cast<int64_t>(std::floor(0.95 * static_cast<double>(total_gaps - 1)));
  return std::max<int64_t>(0, total_gaps - 2 - lo);
}

int64_t LateGapAllowance(const GapStats& g, int64_t expected_gaps) {
  const int64_t total = std::max<int64_t>(expected_gaps, int64_t{g.count} + 1);
  return LateGapsAllowed(total) - (g.count - g.within);
}

}  // namespace cacheopt
