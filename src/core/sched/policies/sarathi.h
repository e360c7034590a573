// Sarathi-Serve's stall-free batching (sarathi/core/scheduler/
// sarathi_scheduler.py): decodes first, then ongoing prefill chunks, then new
// prefills, under a fixed token budget (chunk size); newest-first preemption
// by recompute. Defaults and upstream lines: docs/baselines.md. Composed of
// the watermark admission rule (whole prompts' blocks at admission), budget
// chunks and last-in-running recompute preemption.
#pragma once

#include <vector>

#include "core/sched/parts/admission.h"
#include "core/sched/parts/chunking.h"
#include "core/sched/parts/preemption.h"
#include "core/sched/policy_defaults.h"
#include "core/sched/scheduler.h"

namespace cacheopt {

class SarathiScheduler : public Scheduler {
 public:
  SarathiScheduler(const SchedulerConfig& config, const CostModel* cost);
  std::string_view name() const override { return "sarathi"; }

 protected:
  void ScheduleStep(double now, SchedulerOutput* out) override;

 private:
  BatchLimits limits_;
  WatermarkAdmission admission_;
  BudgetChunks chunks_;
  FixedKind kind_{PreemptKind::kRecompute};
  std::vector<Request*> prefills_;  // scratch, reused across steps
};

}  // namespace cacheopt
