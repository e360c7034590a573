#include "core/sched/policies/vllm_v0.h"

#include <algorithm>

namespace cacheopt {

VllmV0Scheduler::VllmV0Scheduler(const SchedulerConfig& config, const CostModel* cost)
    : Scheduler(config, cost),
      limits_(VllmV0Limits(config)),
      admission_({.watermark_blocks = VllmWatermarkBlocks(config, false)}),
      kind_(ConfiguredPreemptKind()) {}

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
    // Over the prompt limit min(max_model_len, budget): FINISHED_IGNORED;
    // AllocStatus.NEVER: could not fit even in an empty pool.
    const Admit admit = admission_.Check(blocks_.BlocksFor(n), blocks_, !running_.empty());
    if (n > std::min(config_.max_model_len, limits_.token_budget) || admit == Admit::kNever) {
      waiting_.pop_front();
      Reject(r, out);
      continue;
    }
    // AllocStatus.LATER stops admission: head-of-line, FCFS.
    if (admit == Admit::kLater) break;
    if (chunks_.Tokens(*r, limits_.token_budget - tokens) <= 0 || seqs + 1 > limits_.max_num_seqs) break;
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
    // can_append_slots counts the block a decode writes into as "touched", so
    // every decode needs at least one free block even when its last block
    // has room (block_manager.py / block_table.py upstream). Victim: the
    // newest running request; the request itself if it is last.
    auto room = [&] { return std::max(1, grow) <= blocks_.device_free(); };
    if (!PreemptLastUntil(r, kind_, room, out, &preempted)) break;
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
    const Admit admit = admission_.Check(held + 1, blocks_, !running_.empty());
    if (admit == Admit::kNever) {
      swapped_.pop_front();
      Reject(r, out);
      continue;
    }
    if (admit == Admit::kLater) break;
    if (seqs + 1 > limits_.max_num_seqs) break;
    swapped_.pop_front();
    SwapIn(r, out);
    Grow(r, r->num_computed + 1);
    MarkRunning(r);
    AddSeq(out, r, 1);
    ++seqs;
  }
}

}  // namespace cacheopt
