// Plot axes: the range a set of values is drawn over and its tick marks,
// linear ("nice" steps of 1, 2, 2.5, 5 x 10^k), logarithmic (decades) or
// categorical (one slot per category).
#pragma once

#include <cstddef>
#include <vector>

namespace cacheopt::experiment {

struct Axis {
  double lo = 0, hi = 1;
  bool log = false;
  std::vector<double> ticks;
  // Position of `v` along the axis: 0 at lo, 1 at hi (outside for values
  // beyond the range). A log axis maps v <= 0 to 0.
  double Frac(double v) const;
};

// Covers [min, max] (swapped if reversed) with about `target_ticks` ticks
// whose ends enclose the data. min == max widens to a non-empty range.
Axis LinearAxis(double min, double max, int target_ticks = 5);
// The 1-2-5 values (..., 0.5, 1, 2, 5, 10, ...) enclosing [min, max]; both
// must be > 0 (a non-positive min becomes max/1000). Ticks at every 1-2-5
// value when the axis spans <= 2 decades, else at the decades and both ends.
Axis LogAxis(double min, double max);
// n categories at 0..n-1, each in the middle of its slot.
Axis CategoryAxis(size_t n);

}  // namespace cacheopt::experiment
