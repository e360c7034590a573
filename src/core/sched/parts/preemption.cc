#include "core/sched/parts/preemption.h"

#include "core/preempt/swap_or_recompute.h"

namespace cacheopt {

PreemptKind CheaperKind::Kind(const Request& victim) const {
  if (blocks_->host_total() == 0) return PreemptKind::kRecompute;
  const int32_t held = victim.kv_slot >= 0 ? static_cast<int32_t>(blocks_->table(victim.kv_slot).device.size()) : 0;
  // Its blocks offered to the prefix cache stay there: a recompute skips them.
  const int32_t cached = blocks_->prefix_caching() ? victim.cached_blocks * blocks_->block_size() : 0;
  return EstimatePreemptionCost(*cost_, victim, held, blocks_->host_free(), blocks_->block_size(), cached).Cheaper();
}

}  // namespace cacheopt
