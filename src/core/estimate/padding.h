// Confidence padding of a predicted length (CACHEOPT.md C1) and the
// arrival-rate-adjusted coverage p(lambda).
#pragma once

#include <cstdint>

#include "core/estimate/estimator.h"

namespace cacheopt {

enum class PaddingMode : int8_t { kNone, kHoeffding, kConformal };

struct PaddingOptions {
  PaddingMode mode = PaddingMode::kConformal;
  double hoeffding_n = 1;  // paper mode: t = R sqrt(ln(1/(1-p)) / (2n)), clamped to t <= R
};

// Hoeffding margin t for error range `range` at coverage p (clamped to range).
double HoeffdingMargin(double range, double p, double n);

// Padded output length, clamped to [max(1, generated + 1), max_tokens].
double PaddedLength(const LengthEstimate& e, const OutputLengthEstimator& est, double p,
                    const PaddingOptions& opts, int32_t generated, int32_t max_tokens);

// p(lambda) = clamp(alpha / (1 + beta * lambda), p_min, p_max).
struct CoverageOptions {
  double alpha = 0.95;
  double beta = 0.01;  // 1/(req/s); the sensitivity study picks it
  double p_min = 0.5;
  double p_max = 0.99;
};
double Coverage(double lambda_rps, const CoverageOptions& opts);

// Recent arrival rate: an exponentially weighted event rate with time
// constant tau (default 30 s). Time is passed in.
// Cold start (arrival_rate_meter.cc): the first arrival starts the clock and
// later ones are counted; the decayed count is divided by
// tau * (1 - exp(-(now - first) / tau)), the weight a steady unit-rate stream
// would have by now (~ the elapsed time early on, -> tau later), so a steady
// stream reads its rate from the second arrival on. No arrivals, or only one: 0.
class ArrivalRateMeter {
 public:
  explicit ArrivalRateMeter(double tau_s = 30) : tau_(tau_s) {}
  void OnArrival(double now);
  double Rate(double now) const;

 private:
  double tau_;
  double weight_ = 0;  // decayed count of arrivals, as of last_
  double last_ = 0;
  bool any_ = false;
  double first_ = 0;  // time of the first arrival
};

}  // namespace cacheopt
