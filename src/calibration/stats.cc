#include "calibration/stats.h"

#include <algorithm>
#include <cassert>

namespace cacheopt {

double Median(std::vector<double> v) {
  assert(!v.empty());
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + mid, v.end());
  if (v.size() % 2 == 1) return v[mid];
  const double hi = v[mid];
  const double lo = *std::max_element(v.begin(), v.begin() + mid);
  return (lo + hi) / 2;
}

void MakeNonDecreasing(std::vector<double>* v) {
  for (size_t i = 1; i < v->size(); ++i) (*v)[i] = std::max((*v)[i], (*v)[i - 1]);
}

std::vector<double> RunningMedian(const std::vector<double>& v, int half_window) {
  std::vector<double> out(v.size());
  const int n = static_cast<int>(v.size());
  for (int i = 0; i < n; ++i) {
    const int lo = std::max(0, i - half_window), hi = std::min(n, i + half_window + 1);
    out[i] = Median(std::vector<double>(v.begin() + lo, v.begin() + hi));
  }
  return out;
}

}  // namespace cacheopt
