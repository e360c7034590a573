#include "cacheopt/metrics/agent_weight.h"

#include <algorithm>
#include <cmath>

namespace cacheopt {

int AgentWeightPercent(int64_t waiting, double kv_use) {
  const double kv = std::clamp(std::isfinite(kv_use) ? kv_use : 1.0, 0.0, 1.0);
  const double pct = 100.0 * (1.0 - kv / 2.0) / (1.0 + static_cast<double>(std::max<int64_t>(waiting, 0)));
  return std::clamp(static_cast<int>(std::lround(pct)), 1, 100);
}

}  // namespace cacheopt
