// A bounded window of the most recent values, kept sorted, so that order
// statistics (quantiles, "how many exceed x", the median of those that do)
// cost O(1) or O(log n) to read. Adding is O(n) (a vector insert and erase),
// which is fine: values arrive once per finished request, and n is a few
// thousand, while reads happen on every admission and extension.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace cacheopt {

// Linear-interpolation percentile (p in [0, 100]) of an ascending range, the
// same rule as PercentileSorted (metrics/percentile.h) but on a sub-range.
// Empty -> 0.
double PercentileOfSorted(std::span<const double> sorted, double p);

class SortedWindow {
 public:
  explicit SortedWindow(size_t capacity);

  // Adds x; once full, the oldest value leaves first.
  void Add(double x);

  size_t size() const { return sorted_.size(); }
  size_t capacity() const { return capacity_; }
  // The window's values, ascending.
  std::span<const double> sorted() const { return sorted_; }

  // The values strictly greater than x, ascending. O(log n).
  std::span<const double> Above(double x) const;
  // The values strictly less than x, ascending. O(log n).
  std::span<const double> Below(double x) const;

 private:
  size_t capacity_;
  std::vector<double> ring_;  // arrival order; ring_[next_] is the oldest once full
  size_t next_ = 0;
  std::vector<double> sorted_;
};

}  // namespace cacheopt
