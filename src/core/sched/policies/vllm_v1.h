// vLLM's V1 scheduler (vllm/v1/core/sched/scheduler.py): one token budget per
// step, running requests first (decodes and unfinished prefill chunks, in
// order), then waiting ones, chunked prefill always on, newest-first
// preemption by recompute, no prefix caching. Defaults: docs/baselines.md.
#pragma once

#include "core/sched/scheduler.h"

namespace cacheopt {

class VllmV1Scheduler : public Scheduler {
 public:
  VllmV1Scheduler(const SchedulerConfig& config, const CostModel* cost);
  std::string_view name() const override { return "vllm-v1"; }

 protected:
  void ScheduleStep(double now, SchedulerOutput* out) override;

 private:
  int32_t token_budget_;
  int32_t max_num_seqs_;
  int32_t long_prefill_threshold_;  // 0: a chunk is limited by the budget only
  bool reserve_full_prompt_;        // knob reserve_full_prompt (default 1)
  int32_t watermark_blocks_;        // knob watermark (default 0: off)
};

}  // namespace cacheopt
