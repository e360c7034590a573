// What to predict once a request has outlived every length an estimator
// expected (no history sample exceeds what it has generated, or a noisy
// prediction lies behind it): a little more than it has. The margin grows
// with g (an eighth of it, at least 16 tokens: one default block), so a
// request that keeps overrunning is extended O(log length) times, not once
// every few tokens, while the over-reservation stays within ~12.5% of g.
#pragma once

#include <algorithm>
#include <cstdint>

namespace cacheopt {

inline constexpr double kOverrunMinTokens = 16;
inline constexpr double kOverrunFraction = 0.125;

inline double OverrunGuess(int32_t generated) {
  const double g = std::max<double>(generated, 0);
  return g + std::max(kOverrunMinTokens, kOverrunFraction * g);
}

}  // namespace cacheopt
