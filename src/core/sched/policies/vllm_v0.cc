#include "core/sched/policies/vllm_v0.h"

#include <algorithm>

namespace cacheopt {

VllmV0Scheduler::VllmV0Scheduler(const SchedulerConfig& config, const CostModel* cost)
    : Scheduler(config, cost) {
  token_budget_ = config.token_budget > 0 ? config.token_budget : std::max(config.max_model_len, 2048);
  max_num_seqs_ = config.max_num_seqs > 0 ? config.max_num_seqs : 256;
  double wm = config.watermark >= 0 ? config.watermark : 0.01;
  // Upstream: int(watermark * blocks), which is 0 below 100 blocks; with the
  // one-free-block decode rule a lone request filling such a pool would then
  // preempt itself forever, so tiny pools keep at least one block back.
  watermark_blocks_ = std::max(wm > 0 ? 1 : 0, static_cast<int32_t>(wm * config.device_blocks));
}

void VllmV0Scheduler::ScheduleStep(double /*now*/, SchedulerOutput* out) {
  // Prefill-only or decode-only steps; no new prefills while anyone is swapped out.
  bool prefilled = false;
  if (swapped_.empty()) prefilled = SchedulePrefills(out);
  if (!prefilled) {
    bool preempted = ScheduleRunning(out);
    if (!preempted) ScheduleSwapped(out);
  }
}

bool VllmV0Scheduler::SchedulePrefills(SchedulerOutput* out) {
  int32_t tokens = 0;
  int32_t seqs = static_cast<int32_t>(running_.size());
  bool any = false;
  while (!waiting_.empty()) {
    Request* r = waiting_.front();
    int32_t n = r->TokensToCompute();  // whole prompt (plus output after a recompute)
    int32_t need = blocks_.BlocksFor(n);
    // Over the prompt limit min(max_model_len, budget): FINISHED_IGNORED.
    if (n > std::min(config_.max_model_len, token_budget_)) {
      waiting_.pop_front();
      Reject(r, out);
      continue;
    }
    // AllocStatus.NEVER: could not fit even in an empty pool.
    if (blocks_.device_total() - need < watermark_blocks_) {
      waiting_.pop_front();
      Reject(r, out);
      continue;
    }
    // AllocStatus.LATER stops admission: head-of-line, FCFS.
    if (blocks_.device_free() - need < watermark_blocks_) break;
    if (tokens + n > token_budget_ || seqs + 1 > max_num_seqs_) break;
    waiting_.pop_front();
    Grow(r, n);
    MarkRunning(r);
    AddSeq(out, r, n);
    tokens += n;
    ++seqs;
    any = true;
  }
  return any;
}

bool VllmV0Scheduler::ScheduleRunning(SchedulerOutput* out) {
  bool preempted = false;
  size_t i = 0;
  while (i < running_.size()) {
    Request* r = running_[i];
    int64_t need_tokens = r->num_computed + 1;
    int32_t grow = BlocksToGrow(r, need_tokens);
    bool self_preempted = false;
    // can_append_slots counts the block a decode writes into as "touched", so
    // every decode needs at least one free block even when its last block
    // has room (block_manager.py / block_table.py upstream).
    while (std::max(1, grow) > blocks_.device_free()) {
      // Victim: the newest running request; the request itself if it is last.
      Request* victim = running_.back();
      running_.pop_back();
      Preempt(victim, ConfiguredPreemptKind(), out);
      preempted = true;
      if (victim == r) {
        self_preempted = true;
        break;
      }
    }
    if (self_preempted) break;
    if (grow > 0) Grow(r, need_tokens);
    AddSeq(out, r, 1);
    ++i;
  }
  return preempted;
}

void VllmV0Scheduler::ScheduleSwapped(SchedulerOutput* out) {
  int32_t seqs = static_cast<int32_t>(running_.size());
  while (!swapped_.empty()) {
    Request* r = swapped_.front();
    int32_t held = static_cast<int32_t>(blocks_.table(r->kv_slot).host.size());
    // Blocks touched: the swapped table plus one for this decode.
    int32_t need = held + 1;
    if (blocks_.device_total() - need < watermark_blocks_) {
      swapped_.pop_front();
      Reject(r, out);
      continue;
    }
    if (blocks_.device_free() - need < watermark_blocks_) break;
    if (seqs + 1 > max_num_seqs_) break;
    swapped_.pop_front();
    SwapIn(r, out);
    Grow(r, r->num_computed + 1);
    MarkRunning(r);
    AddSeq(out, r, 1);
    ++seqs;
  }
}

}  // namespace cacheopt
