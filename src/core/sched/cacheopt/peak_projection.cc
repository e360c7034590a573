#include "core/sched/cacheopt/peak_projection.h"

#include <algorithm>

namespace cacheopt {

// Usage only drops at a release, so the peak is just before one: check every
// t = remain - 1. A life's blocks at step t are ceil((tokens + t) / bs).
// Writing tokens + bs - 1 = q bs + r and t = Q bs + R, that is
// q + Q + [r + R >= bs]. Sweeping t from the latest release down, adding
// lives as t drops below their release, needs only the sum of q, the count,
// and how many r reach bs - R: O(n log n + releases * bs), not O(n^2).
bool PeakProjection::Fits(std::vector<ProjectedLife>* lives, int64_t bs, int64_t cap) {
  std::sort(lives->begin(), lives->end(),
            [](const ProjectedLife& a, const ProjectedLife& b) { return a.remain > b.remain; });
  rem_count_.assign(static_cast<size_t>(bs), 0);
  int64_t sum_q = 0, count = 0;
  size_t i = 0;
  while (i < lives->size()) {
    const int64_t t = (*lives)[i].remain - 1;
    for (; i < lives->size() && (*lives)[i].remain - 1 == t; ++i) {
      const int64_t base = (*lives)[i].tokens + bs - 1;
      sum_q += base / bs;
      ++rem_count_[static_cast<size_t>(base % bs)];
      ++count;
    }
    const int64_t big_q = t / bs, big_r = t % bs;
    int64_t carries = 0;
    for (int64_t r = bs - big_r; r < bs; ++r) carries += rem_count_[static_cast<size_t>(r)];
    if (sum_q + count * big_q + carries > cap) return false;
  }
  return true;
}

bool PeakFitsBruteForce(const std::vector<ProjectedLife>& lives, int64_t bs, int64_t cap) {
  for (const ProjectedLife& at : lives) {
    int64_t t = at.remain - 1;
    int64_t used = 0;
    for (const ProjectedLife& l : lives)
      if (l.remain > t) used += (l.tokens + t + bs - 1) / bs;
    if (used > cap) return false;
  }
  return true;
}

}  // namespace cacheopt
