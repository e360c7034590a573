// The recent signed residuals (truth - prediction at admission) that every
// estimator keeps (CACHEOPT.md C1): their quantiles for conformal padding, and
// per direction the error range R = p99 - p1 for Hoeffding padding.
//
// Direction rule (ours; the paper does not give one): the truth is expected
// above the prediction when at least half of the recent residuals are >= 0.
// The same split defines the two directions' residuals: residuals >= 0 are
// "above" (an exact prediction counts there), residuals < 0 are "below" and
// enter R by magnitude.
//
// Cost: residuals live in a sorted bounded window, so Add is O(window) and the
// direction and ranges are recomputed on every Add in O(log window) and cached;
// reads (Describe, Quantile) are O(1). Reads happen per admission and per
// extension, adds once per finished request.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/estimate/estimator.h"
#include "core/estimate/sorted_window.h"

namespace cacheopt {

class ResidualWindow {
 public:
  explicit ResidualWindow(int32_t capacity);

  void Add(double residual);
  size_t size() const { return window_.size(); }

  // The q-quantile (q in [0, 1]) of the window; 0 while it is empty.
  double Quantile(double q) const;

  // Direction and ranges as of the last Add (true, 0, 0 while empty).
  bool truth_above() const { return truth_above_; }
  double range_above() const { return range_above_; }
  double range_below() const { return range_below_; }

  // Fills e's direction and ranges; leaves e.predicted alone.
  void Describe(LengthEstimate* e) const;

 private:
  SortedWindow window_;
  bool truth_above_ = true;
  double range_above_ = 0;
  double range_below_ = 0;
};

}  // namespace cacheopt
