// vLLM V1's scheduler (vllm/v1/core/sched/scheduler.py): one token budget per
// step; running requests first (chunked), then waiting ones FCFS in a step
// without preemptions; the newest running request recomputed when blocks run
// out. Composed of budget chunks, the watermark admission rule (off by
// default) with the full prompt as its footprint, and last-in-running
// recompute preemption.
#pragma once

#include "core/sched/parts/admission.h"
#include "core/sched/parts/chunking.h"
#include "core/sched/parts/preemption.h"
#include "core/sched/policy_defaults.h"
#include "core/sched/scheduler.h"

namespace cacheopt {

class VllmV1Scheduler : public Scheduler {
 public:
  VllmV1Scheduler(const SchedulerConfig& config, const CostModel* cost);
  std::string_view name() const override { return "vllm-v1"; }

 protected:
  void ScheduleStep(double now, SchedulerOutput* out) override;

 private:
  BatchLimits limits_;
  BudgetChunks chunks_;          // no long_prefill_token_threshold by default
  bool reserve_full_prompt_;     // knob reserve_full_prompt (default 1)
  WatermarkAdmission admission_;  // knob watermark (default 0: off)
  FixedKind kind_{PreemptKind::kRecompute};
};

}  // namespace cacheopt
