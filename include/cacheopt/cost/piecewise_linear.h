// A measured curve y(x) on ascending x, read by linear interpolation. Below
// the first point it is flat (small inputs cost at least the smallest
// measurement); above the last it grows in proportion to x, i.e. linearly
// through the origin, as compute- and bandwidth-bound work does.
#pragma once

#include <vector>

namespace cacheopt {

class PiecewiseLinear {
 public:
  PiecewiseLinear() = default;
  // xs strictly ascending and > 0; ys the same length. Asserted.
  PiecewiseLinear(std::vector<double> xs, std::vector<double> ys);

  double operator()(double x) const;
  bool empty() const { return xs_.empty(); }
  const std::vector<double>& xs() const { return xs_; }
  const std::vector<double>& ys() const { return ys_; }

 private:
  std::vector<double> xs_;
  std::vector<double> ys_;
};

}  // namespace cacheopt
