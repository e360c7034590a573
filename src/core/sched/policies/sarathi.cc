#include "core/sched/policies/sarathi.h"

#include <algorithm>

namespace cacheopt {

SarathiScheduler::SarathiScheduler(const SchedulerConfig& config, const CostModel* cost)
    : Scheduler(config, cost) {
  token_budget_ = config.token_budget > 0 ? config.token_budget : 512;
  max_num_seqs_ = config.max_num_seqs > 0 ? config.max_num_seqs : 128;
  double wm = config.watermark >= 0 ? config.watermark : 0.01;
  // Upstream: int(watermark * blocks), which is 0 below 100 blocks; with the
  // one-free-block decode rule a lone request filling such a pool would then
  // preempt itself forever, so tiny pools keep at least one block back. So
  // does an explicit watermark of 0: a request holding the whole pool cannot
  // decode, and its recompute chunks can end one token short of the end,
  // a tail the decode pass handles, which preempts it again (the soak found
  // it, docs/soak.md).
  watermark_blocks_ = std::max(1, static_cast<int32_t>(wm * config.device_blocks));
}

void SarathiScheduler::ScheduleStep(double /*now*/, SchedulerOutput* out) {
  int32_t batched = 0;
  prefills_.clear();
  // Upstream re-sorts running by arrival every step (FCFS policy).
  auto by_arrival = [](const Request* a, const Request* b) { return a->spec.arrival_s < b->spec.arrival_s; };
  if (!std::is_sorted(running_.begin(), running_.end(), by_arrival))
    std::stable_sort(running_.begin(), running_.end(), by_arrival);
  // 1. Decodes, oldest first, outside the budget; make room by preempting the
  // latest arrival not yet visited this step.
  size_t i = 0;
  while (i < running_.size()) {
    Request* r = running_[i];
    if (r->InPrefill()) {
      prefills_.push_back(r);
      ++i;
      continue;
    }
    int64_t need = static_cast<int64_t>(r->num_computed) + 1;
    bool self_preempted = false;
    // can_append_slot asks only for one free block anywhere in the pool.
    while (blocks_.device_free() < 1) {
      Request* victim = running_.back();
      running_.pop_back();
      Preempt(victim, PreemptKind::kRecompute, out);
      if (victim == r) {
        self_preempted = true;
        break;
      }
    }
    if (self_preempted) break;
    Grow(r, need);
    AddSeq(out, r, 1);
    ++batched;
    ++i;
  }
  // Running prefills the decode pass did not reach (it stopped early).
  for (; i < running_.size(); ++i)
    if (running_[i]->InPrefill()) prefills_.push_back(running_[i]);
  // 2. Ongoing prefill chunks (their prompt blocks were taken at admission).
  for (Request* r : prefills_) {
    int32_t n = std::min(r->TokensToCompute(), token_budget_ - batched);
    if (n <= 0) continue;
    AddSeq(out, r, n);
    batched += n;
  }
  // 3. New prefills, FCFS; all prompt blocks taken up front, with a watermark.
  while (!waiting_.empty()) {
    Request* r = waiting_.front();
    int32_t need = blocks_.BlocksFor(r->TokensToCompute());
    if (blocks_.device_total() - need < watermark_blocks_) {
      waiting_.pop_front();
      Reject(r, out);
      continue;
    }
    if (blocks_.device_free() - need < watermark_blocks_) break;
    if (static_cast<int32_t>(running_.size()) >= max_num_seqs_) break;
    int32_t n = std::min(r->TokensToCompute(), token_budget_ - batched);
    if (n <= 0) break;
    waiting_.pop_front();
    Grow(r, r->TokensToCompute());
    MarkRunning(r);
    AddSeq(out, r, n);
    batched += n;
  }
}

}  // namespace cacheopt
