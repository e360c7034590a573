#include "core/sched/parts/preemption.h"

#include "core/preempt/swap_or_recompute.h"

namespace cacheopt {

PreemptKind CheaperKind::Kind(const Request& victim) const {
  if (blocks_->host_total() == 0) return PreemptKind::kRecompute;
  const int32_t held = victim.kv_slot >= 0 ? static_cast<int32_t>(blocks_->table(victim.kv_slot).device.size()) : 0;
  // Its blocks offered to the prefix cache stay there: a recompute skips them.
  return EstimatePreemptionCost(*cost_, victim, held, blocks_->host_free(), blocks_->block_size(),
                                blocks_->StaysCachedTokens(victim.cached_blocks))
      .Cheaper();
}

}  // namespace cacheopt
