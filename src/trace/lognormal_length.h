// Token lengths drawn from a log-normal given its median and mean, as the
// generated traces draw prompts and outputs.
#pragma once

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>

#include "cacheopt/random/distributions.h"
#include "cacheopt/random/rng.h"

namespace cacheopt {

// mu = ln(median), sigma^2 = 2 ln(mean / median).
struct LogNormalShape {
  double mu;
  double sigma;
};

inline LogNormalShape FromMedianMean(double median, double mean) {
  return {std::log(median), std::sqrt(2 * std::log(mean / median))};
}

// Rounded to the nearest integer and clipped to >= 1.
inline int32_t DrawLength(Rng& rng, const LogNormalShape& shape) {
  const double x = std::round(LogNormal(rng, shape.mu, shape.sigma));
  return static_cast<int32_t>(std::clamp(x, 1.0, static_cast<double>(INT32_MAX)));
}

}  // namespace cacheopt
