#include "core/sched/policies/vllm_v1.h"

#include <algorithm>

namespace cacheopt {

VllmV1Scheduler::VllmV1Scheduler(const SchedulerConfig& config, const CostModel* cost)
    : Scheduler(config, cost),
      limits_(VllmV1Limits(config)),
      reserve_full_prompt_(config.knobs.count("reserve_full_prompt") == 0 ||
                           config.knobs.at("reserve_full_prompt") != "0"),
      admission_({.watermark_blocks = VllmV1WatermarkBlocks(config),
                  .only_while_running = true,
                  .never_counts_watermark = false}) {}

void VllmV1Scheduler::ScheduleStep(double /*now*/, SchedulerOutput* out) {
  int32_t budget = limits_.token_budget;
  bool preempted = false;
  size_t i = 0;
  while (i < running_.size() && budget > 0) {
    Request* r = running_[i];
    const int32_t n = chunks_.Tokens(*r, budget);
    auto grown = [&] { return Grow(r, static_cast<int64_t>(r->num_computed) + n); };
    if (!PreemptLastUntil(r, kind_, grown, out, &preempted)) break;
    AddSeq(out, r, n);
    budget -= n;
    ++i;
  }
  // New requests only in a step without preemptions.
  if (preempted) return;
  while (!waiting_.empty() && budget > 0) {
    if (static_cast<int32_t>(running_.size()) >= limits_.max_num_seqs) break;
    Request* r = waiting_.front();
    if (NeverFits(r->TotalTokens())) {
      waiting_.pop_front();
      Reject(r, out);
      continue;
    }
    // Automatic prefix caching: the cached prefix comes first; only the
    // rest is chunked and needs blocks (the evictable cached ones count too).
    const PrefixHit hit = CachedPrefix(r);
    const int32_t cached = CachedTokens(hit);
    const int32_t n = chunks_.Tokens(*r, budget, cached);
    // scheduler_reserve_full_isl: the whole prompt must fit now, though only
    // the chunk is allocated. Failing either check stops admission (FCFS).
    // The watermark's headroom counts only once some request runs
    // (has_scheduled_reqs upstream): the first request into an empty cache
    // is never held back by it.
    const int64_t gate_tokens = reserve_full_prompt_ ? r->TokensToCompute() : cached + n;
    if (admission_.Check(BlocksToGrow(r, gate_tokens, hit), blocks_, !running_.empty()) != Admit::kNow) break;
    if (!GrowFromPrefix(r, cached + n, hit)) break;
    waiting_.pop_front();
    MarkRunning(r);
    AddSeq(out, r, n);
    budget -= n;
  }
}

}  // namespace cacheopt
