#include "core/sched/policies/sarathi.h"

#include <algorithm>

namespace cacheopt {

SarathiScheduler::SarathiScheduler(const SchedulerConfig& config, const CostModel* cost)
    : Scheduler(config, cost),
      limits_(SarathiLimits(config)),
      admission_({.watermark_blocks = VllmWatermarkBlocks(config, true)}) {}

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
    // can_append_slot asks only for one free block anywhere in the pool.
    if (!PreemptLastUntil(r, kind_, [&] { return blocks_.device_free() >= 1; }, out)) break;
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
    const int32_t n = chunks_.Tokens(*r, limits_.token_budget - batched);
    if (n <= 0) continue;
    AddSeq(out, r, n);
    batched += n;
  }
  // 3. New prefills, FCFS; all prompt blocks taken up front, with a watermark.
  while (!waiting_.empty()) {
    Request* r = waiting_.front();
    const Admit admit = admission_.Check(blocks_.BlocksFor(r->TokensToCompute()), blocks_, !running_.empty());
    if (admit == Admit::kNever) {
      waiting_.pop_front();
      Reject(r, out);
      continue;
    }
    if (admit == Admit::kLater) break;
    if (static_cast<int32_t>(running_.size()) >= limits_.max_num_seqs) break;
    const int32_t n = chunks_.Tokens(*r, limits_.token_budget - batched);
    if (n <= 0) break;
    waiting_.pop_front();
    Grow(r, r->TokensToCompute());
    MarkRunning(r);
    AddSeq(out, r, n);
    batched += n;
  }
}

}  // namespace cacheopt
