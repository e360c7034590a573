// vLLM's V0 default scheduler (vllm/core/scheduler.py, _schedule_default, no
// chunked prefill), with the V2 block manager's admission and append rules.
// See docs/baselines.md for the upstream lines behind each rule and default.
#pragma once

#include "core/sched/scheduler.h"

namespace cacheopt {

class VllmV0Scheduler : public Scheduler {
 public:
  // Defaults: max_num_seqs 256, token budget max(max_model_len, 2048),
  // watermark 0.01 of the device blocks, recompute unless --preemption-mode swap.
  VllmV0Scheduler(const SchedulerConfig& config, const CostModel* cost);
  std::string_view name() const override { return "vllm"; }

 protected:
  void ScheduleStep(double now, SchedulerOutput* out) override;

 private:
  bool SchedulePrefills(SchedulerOutput* out);
  bool ScheduleRunning(SchedulerOutput* out);  // true if anyone was preempted
  void ScheduleSwapped(SchedulerOutput* out);

  int32_t token_budget_;
  int32_t max_num_seqs_;
  int32_t watermark_blocks_;
};

}  // namespace cacheopt
