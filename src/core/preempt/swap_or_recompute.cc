#include "core/preempt/swap_or_recompute.h"

#include <algorithm>
#include <limits>

namespace cacheopt {

PreemptionCost EstimatePreemptionCost(const CostModel& cost, const Request& r, int32_t blocks_held,
                                      int32_t host_free, int32_t block_size, int32_t cached_tokens) {
  PreemptionCost c;
  c.swap_s = blocks_held <= host_free
                 ? cost.SwapTime(blocks_held, 0, block_size) + cost.SwapTime(0, blocks_held, block_size)
                 : std::numeric_limits<double>::infinity();
  cached_tokens = std::clamp(cached_tokens, 0, r.TotalTokens() - 1);
  if (cached_tokens == 0) {
    c.recompute_s = cost.SoloPrefillTime(r.TotalTokens());
  } else {
    const SeqWork rest{r.TotalTokens() - cached_tokens, cached_tokens};
    c.recompute_s = cost.StepTime(std::span<const SeqWork>(&rest, 1));
  }
  return c;
}

}  // namespace cacheopt
