#include "core/estimate/padding.h"

#include <algorithm>
#include <cmath>

namespace cacheopt {

double HoeffdingMargin(double range, double p, double n) {
  if (!(range > 0) || !(p > 0)) return 0;
  if (p >= 1 || !(n > 0)) return range;  // ln(1 / 0) or n -> 0: the clamp binds
  const double t = range * std::sqrt(-std::log1p(-p) / (2 * n));
  return std::min(t, range);
}

double PaddedLength(const LengthEstimate& e, const OutputLengthEstimator& est, double p,
                    const PaddingOptions& opts, int32_t generated, int32_t max_tokens) {
  double padded = e.predicted;
  switch (opts.mode) {
    case PaddingMode::kNone:
      break;
    case PaddingMode::kHoeffding: {
      const double t = HoeffdingMargin(e.truth_above ? e.range_above : e.range_below, p, opts.hoeffding_n);
      padded += e.truth_above ? t : -t;
      break;
    }
    case PaddingMode::kConformal:
      padded += est.ResidualQuantile(p);
      break;
  }
  // A running request needs room for one more token, which wins over a cap
  // it has already reached (max_tokens <= generated: it is ending anyway).
  const double lo = std::max(1, generated + 1);
  return std::max(lo, std::min(padded, static_cast<double>(max_tokens)));
}

double Coverage(double lambda_rps, const CoverageOptions& opts) {
  const double p = opts.alpha / (1 + opts.beta * std::max(lambda_rps, 0.0));
  return std::min(std::max(p, opts.p_min), opts.p_max);
}

}  // namespace cacheopt
