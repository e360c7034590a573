#include "core/sched/policies/reserve_max.h"

#include <algorithm>
#include <cassert>

namespace cacheopt {

ReserveMaxScheduler::ReserveMaxScheduler(const SchedulerConfig& config, const CostModel* cost, std::string name,
                                         std::unique_ptr<ReservationRule> reservation)
    : Scheduler(config, cost),
      name_(std::move(name)),
      reservation_(std::move(reservation)),
      limits_(ReserveMaxLimits(config)) {}

int64_t ReserveMaxScheduler::Room() const {
  int64_t room = 0;
  if (!config_.prefix_caching) {
    // Every running request keeps its whole reservation.
    room = blocks_.device_total();
    for (const Request* r : running_) room -= r->reserved_blocks;
    return room;
  }
  // With block reuse, as TensorRT-LLM's NoEvictScheduledBlocksManager: the
  // free blocks (cached ones nobody holds among them) less what each running
  // request still needs to complete (getRemainingBlocksToCompletion: its
  // reservation less the blocks in its table, shared ones included). Without
  // sharing this equals the rule above.
  room = blocks_.device_free();
  for (const Request* r : running_) {
    const int32_t held = r->kv_slot >= 0 ? static_cast<int32_t>(blocks_.table(r->kv_slot).device.size()) : 0;
    room -= std::max(0, r->reserved_blocks - held);
  }
  return room;
}

void ReserveMaxScheduler::ScheduleStep(double /*now*/, SchedulerOutput* out) {
  int64_t room = Room();
  while (!waiting_.empty() && static_cast<int32_t>(running_.size()) < limits_.max_num_seqs) {
    Request* r = waiting_.front();
    int32_t need = reservation_->Blocks(r, config_, blocks_);
    // Without chunked context a prompt over max_num_tokens could never run.
    if (need > blocks_.device_total() || r->TokensToCompute() > limits_.token_budget) {
      waiting_.pop_front();
      Reject(r, out);
      continue;
    }
    // The whole reservation counts, reused blocks too: TensorRT-LLM's check
    // runs before the request's blocks are looked up (a request not yet
    // added has no blocks to subtract).
    if (need > room) break;  // FCFS: wait for the head
    waiting_.pop_front();
    MarkRunning(r);
    r->reserved_blocks = need;
    room -= need;
    if (config_.prefix_caching) {
      // addSequence reuses the cached prefix; cached blocks nobody held leave
      // the free count, and the request's remaining need drops by every block
      // it attached, so the room left is room - need + (hit - evictable) >= it.
      const PrefixHit hit = CachedPrefix(r);
      const bool ok = GrowFromPrefix(r, CachedTokens(hit), hit);
      assert(ok && "cached blocks nobody holds count as free");
      (void)ok;
      room += hit.blocks - hit.evictable;
    }
  }
  // Micro-batch: generations first (one token each), then contexts, each
  // needing its whole prompt; both stop at the first request over
  // max_num_tokens.
  int32_t tokens = 0;
  for (int pass = 0; pass < 2; ++pass) {
    bool contexts = pass == 1;
    for (size_t i = 0; i < running_.size(); ++i) {
      Request* r = running_[i];
      if (r->InPrefill() != contexts) continue;
      const int32_t n = chunks_.Tokens(*r, limits_.token_budget - tokens);
      if (n <= 0) break;
      if (blocks_.BlocksFor(static_cast<int64_t>(r->num_computed) + n) > r->reserved_blocks &&
          reservation_->OnOverrun(r)) {
        // Under-predicted (S3): recompute, and come back with a larger reservation.
        running_.erase(running_.begin() + static_cast<std::ptrdiff_t>(i));
        Preempt(r, PreemptKind::kRecompute, out);
        --i;  // r left running_
        continue;
      }
      bool ok = Grow(r, static_cast<int64_t>(r->num_computed) + n);
      assert(ok && "the reservation guarantees the blocks");
      (void)ok;
      AddSeq(out, r, n);
      tokens += n;
    }
  }
}

}  // namespace cacheopt
