// vLLM V0's scheduler (vllm/core/scheduler.py, v0.6): prefill-only or
// decode-only steps; whole prompts, FCFS and head-of-line; the newest running
// request preempted when a decode finds no free block; swapped requests back
// before new prefills. Composed of the watermark admission rule, whole-prompt
// batching and last-in-running preemption by --preemption-mode.
#pragma once

#include "core/sched/parts/admission.h"
#include "core/sched/parts/chunking.h"
#include "core/sched/parts/preemption.h"
#include "core/sched/policy_defaults.h"
#include "core/sched/scheduler.h"

namespace cacheopt {

class VllmV0Scheduler : public Scheduler {
 public:
  // Defaults (policy_defaults.h): max_num_seqs 256, token budget
  // max(max_model_len, 2048), watermark 0.01 of the device blocks, recompute
  // unless --preemption-mode swap.
  VllmV0Scheduler(const SchedulerConfig& config, const CostModel* cost);
  std::string_view name() const override { return "vllm"; }

 protected:
  void ScheduleStep(double now, SchedulerOutput* out) override;

 private:
  bool SchedulePrefills(SchedulerOutput* out);
  // Admits `head`'s waiting group whole: its member count, kGroupLater when
  // it must wait (admission stops, FCFS), kGroupNever when it could never
  // enter whole.
  static constexpr int kGroupLater = -1, kGroupNever = -2;
  int SchedulePrefillGroup(Request* head, int32_t* tokens, int32_t* seqs, SchedulerOutput* out);
  bool ScheduleRunning(SchedulerOutput* out);  // true if anyone was preempted
  void ScheduleSwapped(SchedulerOutput* out);

  BatchLimits limits_;
  WatermarkAdmission admission_;
  WholePrompt chunks_;
  FixedKind kind_;
};

}  // namespace cacheopt
