#include "core/estimate/residual_window.h"

#include <algorithm>

namespace cacheopt {
namespace {

// p99 - p1 of an ascending range (of |residual| too: negating a range
// mirrors its percentiles, so the spread is the same).
double Spread(std::span<const double> sorted) {
  return PercentileOfSorted(sorted, 99) - PercentileOfSorted(sorted, 1);
}

}  // namespace

ResidualWindow::ResidualWindow(int32_t capacity) : window_(static_cast<size_t>(std::max(capacity, 1))) {}

void ResidualWindow::Add(double residual) {
  window_.Add(residual);
  const std::span<const double> below = window_.Below(0);
  const std::span<const double> above = window_.sorted().subspan(below.size());
  truth_above_ = 2 * above.size() >= window_.size();
  range_above_ = Spread(above);
  range_below_ = Spread(below);
}

double ResidualWindow::Quantile(double q) const {
  return PercentileOfSorted(window_.sorted(), std::clamp(q, 0.0, 1.0) * 100);
}

void ResidualWindow::Describe(LengthEstimate* e) const {
  e->truth_above = truth_above_;
  e->range_above = range_above_;
  e->range_below = range_below_;
}

}  // namespace cacheopt
