#include "core/sched/policies/vllm_v1.h"

#include <algorithm>

namespace cacheopt {

VllmV1Scheduler::VllmV1Scheduler(const SchedulerConfig& config, const CostModel* cost)
    : Scheduler(config, cost) {
  // Online-serving defaults depend on the device: 8192 tokens / 1024 seqs on
  // >= 70 GiB GPUs other than A100, else 2048 / 256 (arg_utils.py upstream).
  bool large = config.device_memory_gib >= 70 && config.device_name.rfind("a100", 0) != 0;
  token_budget_ = config.token_budget > 0 ? config.token_budget : (large ? 8192 : 2048);
  max_num_seqs_ = config.max_num_seqs > 0 ? config.max_num_seqs : (large ? 1024 : 256);
  long_prefill_threshold_ = 0;
  auto it = config.knobs.find("reserve_full_prompt");
  reserve_full_prompt_ = it == config.knobs.end() || it->second != "0";
  // SchedulerConfig.watermark (PR vllm-project/vllm#44594, merged June 2026):
  // a fraction of all blocks kept free when admitting a waiting or preempted
  // request; 0.0 (off) by default, as upstream.
  double wm = config.watermark > 0 ? config.watermark : 0.0;
  watermark_blocks_ = static_cast<int32_t>(wm * config.device_blocks);
}

void VllmV1Scheduler::ScheduleStep(double /*now*/, SchedulerOutput* out) {
  int32_t budget = token_budget_;
  bool preempted = false;
  size_t i = 0;
  while (i < running_.size() && budget > 0) {
    Request* r = running_[i];
    int32_t n = r->TokensToCompute();
    if (long_prefill_threshold_ > 0) n = std::min(n, long_prefill_threshold_);
    n = std::min(n, budget);
    bool scheduled = true;
    while (!Grow(r, static_cast<int64_t>(r->num_computed) + n)) {
      Request* victim = running_.back();
      running_.pop_back();
      Preempt(victim, PreemptKind::kRecompute, out);
      preempted = true;
      if (victim == r) {
        scheduled = false;
        break;
      }
    }
    if (!scheduled) break;
    AddSeq(out, r, n);
    budget -= n;
    ++i;
  }
  // New requests only in a step without preemptions.
  if (preempted) return;
  while (!waiting_.empty() && budget > 0) {
    if (static_cast<int32_t>(running_.size()) >= max_num_seqs_) break;
    Request* r = waiting_.front();
    if (NeverFits(r->TotalTokens())) {
      waiting_.pop_front();
      Reject(r, out);
      continue;
    }
    int32_t n = r->TokensToCompute();
    if (long_prefill_threshold_ > 0) n = std::min(n, long_prefill_threshold_);
    n = std::min(n, budget);
    // scheduler_reserve_full_isl: the whole prompt must fit now, though only
    // the chunk is allocated. Failing either check stops admission (FCFS).
    // The watermark's headroom counts only once some request runs
    // (has_scheduled_reqs upstream): the first request into an empty cache
    // is never held back by it.
    const int32_t headroom = running_.empty() ? 0 : watermark_blocks_;
    const int64_t gate_tokens = reserve_full_prompt_ ? r->TokensToCompute() : n;
    if (BlocksToGrow(r, gate_tokens) + headroom > blocks_.device_free()) break;
    if (!Grow(r, n)) break;
    waiting_.pop_front();
    MarkRunning(r);
    AddSeq(out, r, n);
    budget -= n;
  }
}

}  // namespace cacheopt
