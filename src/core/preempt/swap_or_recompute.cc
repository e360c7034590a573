#include "core/preempt/swap_or_recompute.h"

#include <limits>

namespace cacheopt {

PreemptionCost EstimatePreemptionCost(const CostModel& cost, const Request& r, int32_t blocks_held,
                                      int32_t host_free, int32_t block_size) {
  PreemptionCost c;
  c.swap_s = blocks_held <= host_free
                 ? cost.SwapTime(blocks_held, 0, block_size) + cost.SwapTime(0, blocks_held, block_size)
                 : std::numeric_limits<double>::infinity();
  c.recompute_s = cost.SoloPrefillTime(r.TotalTokens());
  return c;
}

}  // namespace cacheopt
