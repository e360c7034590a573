#include "cacheopt/cost/piecewise_linear.h"

#include <algorithm>
#include <cassert>

namespace cacheopt {

PiecewiseLinear::PiecewiseLinear(std::vector<double> xs, std::vector<double> ys)
    : xs_(std::move(xs)), ys_(std::move(ys)) {
  assert(xs_.size() == ys_.size());
  assert(xs_.empty() || xs_.front() > 0);
  assert(std::is_sorted(xs_.begin(), xs_.end()));
}

double PiecewiseLinear::operator()(double x) const {
  if (xs_.empty()) return 0;
  if (x <= xs_.front()) return ys_.front();
  if (x >= xs_.back()) return ys_.back() * (x / xs_.back());
  const size_t i = std::upper_bound(xs_.begin(), xs_.end(), x) - xs_.begin();
  const double x0 = xs_[i - 1], x1 = xs_[i];
  const double f = (x - x0) / (x1 - x0);
  return ys_[i - 1] + f * (ys_[i] - ys_[i - 1]);
}

}  // namespace cacheopt
