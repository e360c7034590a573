#include "core/estimate/sorted_window.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace cacheopt {

double PercentileOfSorted(std::span<const double> sorted, double p) {
  if (sorted.empty()) return 0;
  const double rank = p / 100.0 * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(rank));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double frac = rank - static_cast<double>(lo);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

SortedWindow::SortedWindow(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {}

void SortedWindow::Add(double x) {
  if (ring_.size() < capacity_) {
    ring_.push_back(x);
  } else {
    const double oldest = ring_[next_];
    auto it = std::lower_bound(sorted_.begin(), sorted_.end(), oldest);
    assert(it != sorted_.end() && *it == oldest);
    sorted_.erase(it);
    ring_[next_] = x;
    next_ = (next_ + 1) % capacity_;
  }
  sorted_.insert(std::upper_bound(sorted_.begin(), sorted_.end(), x), x);
}

std::span<const double> SortedWindow::Above(double x) const {
  auto it = std::upper_bound(sorted_.begin(), sorted_.end(), x);
  return {it, sorted_.end()};
}

std::span<const double> SortedWindow::Below(double x) const {
  auto it = std::lower_bound(sorted_.begin(), sorted_.end(), x);
  return {sorted_.begin(), it};
}

}  // namespace cacheopt
