// ArrivalRateMeter (declared in padding.h): an EWMA event rate with a
// bias-corrected normalizer instead of a hard switch at tau. Dividing by the
// elapsed time for the first tau seconds and by tau after still reads a steady
// stream at 1 - 1/e = 63% of its rate at t = tau; the normalizer
// tau * (1 - exp(-T / tau)) is ~T for T << tau and reads it right throughout.
#include <algorithm>
#include <cmath>

#include "core/estimate/padding.h"

namespace cacheopt {

void ArrivalRateMeter::OnArrival(double now) {
  if (!any_) {
    any_ = true;
    first_ = last_ = now;
    return;  // starts the clock: a rate needs an interval
  }
  weight_ = weight_ * std::exp(-std::max(now - last_, 0.0) / tau_) + 1;
  last_ = std::max(now, last_);
}

double ArrivalRateMeter::Rate(double now) const {
  if (!any_ || weight_ == 0) return 0;
  const double w = weight_ * std::exp(-std::max(now - last_, 0.0) / tau_);
  // Arrivals all at one instant (a burst at t = 0) read as a very high but
  // finite rate: the span is at least tau / 1000 (30 ms at the default), short
  // enough not to bias a stream slower than ~1000 / tau req/s after its second
  // arrival, and Coverage clamps whatever it gives.
  const double span = std::max(std::max(now, last_) - first_, tau_ / 1000);
  return w / (tau_ * -std::expm1(-span / tau_));
}

}  // namespace cacheopt
