#include "core/sched/policies/vllm_v0.h"

#include <algorithm>

namespace cacheopt {

VllmV0Scheduler::VllmV0Scheduler(const SchedulerConfig& config, const CostModel* cost)
    : Scheduler(config, cost),
      limits_(VllmV0Limits(config)),
      admission_({.watermark_blocks = VllmWatermarkBlocks(config, false)}),
      kind_(ConfiguredPreemptKind()) {
  // A SequenceGroup is scheduled as one (vllm/core/scheduler.py): see
  // RequestSpec::group and docs/baselines.md.
  group_requests_ = true;
  swap_multi_member_groups_ = config.preemption_mode == PreemptMode::kRecompute;
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
    if (GroupedHere(*r)) {
      const int admitted = SchedulePrefillGroup(r, &tokens, &seqs, out);
      if (admitted == kGroupLater) break;
      if (admitted > 0) {
        any = true;
        continue;
      }
      // kGroupNever: its members come in one by one.
    }
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

int VllmV0Scheduler::SchedulePrefillGroup(Request* head, int32_t* tokens, int32_t* seqs, SchedulerOutput* out) {
  // The group's waiting members enter together (can_allocate(seq_group),
  // budget.can_schedule(num_new_seqs = the group's)). Upstream forks one
  // prefilled prompt into the group's sequences; here each member holds and
  // computes its own copy (this policy runs without prefix caching), so the
  // blocks and tokens are the members' sum.
  const std::vector<Request*> members = GroupMembers(head, RequestState::kWaiting);
  int64_t tokens_needed = 0, blocks_needed = 0;
  bool over_limit = false;
  for (const Request* m : members) {
    const int32_t n = m->TokensToCompute();
    over_limit |= n > std::min(config_.max_model_len, limits_.token_budget);
    tokens_needed += n;
    blocks_needed += blocks_.BlocksFor(n);
  }
  const Admit admit = admission_.Check(blocks_needed, blocks_, !running_.empty());
  // A group that could never enter whole (past the pool, the token budget
  // or max_num_seqs together, or a member past the prompt limit) enters as
  // singles do: upstream would hold the queue behind it for ever.
  if (over_limit || admit == Admit::kNever || tokens_needed > limits_.token_budget ||
      static_cast<int64_t>(members.size()) > limits_.max_num_seqs)
    return kGroupNever;
  if (admit == Admit::kLater || *tokens + tokens_needed > limits_.token_budget ||
      *seqs + static_cast<int64_t>(members.size()) > limits_.max_num_seqs)
    return kGroupLater;
  RemoveMembers(&waiting_, members);
  for (Request* m : members) {
    const int32_t n = m->TokensToCompute();
    Grow(m, n);
    MarkRunning(m);
    AddSeq(out, m, n);
    *tokens += n;
    ++*seqs;
  }
  return static_cast<int>(members.size());
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
    // A group's swapped members come back together (can_swap_in(seq_group)).
    std::vector<Request*> members = GroupMembers(swapped_.front(), RequestState::kSwapped);
    auto touched = [&] {
      int64_t t = 0;
      // Blocks touched: the swapped table plus one for this decode.
      for (const Request* m : members) t += static_cast<int32_t>(blocks_.table(m->kv_slot).host.size()) + 1;
      return t;
    };
    Admit admit = admission_.Check(touched(), blocks_, !running_.empty());
    if (members.size() > 1 && (admit == Admit::kNever || static_cast<int32_t>(members.size()) > limits_.max_num_seqs)) {
      // A group that could never come back whole comes back one by one.
      members = {swapped_.front()};
      admit = admission_.Check(touched(), blocks_, !running_.empty());
    }
    if (admit == Admit::kNever) {
      RemoveMembers(&swapped_, members);
      for (Request* m : members) Reject(m, out);
      continue;
    }
    if (admit == Admit::kLater) break;
    if (seqs + static_cast<int32_t>(members.size()) > limits_.max_num_seqs) break;
    ResumeSwappedGroup(members, out);
    seqs += static_cast<int32_t>(members.size());
  }
}

}  // namespace cacheopt
