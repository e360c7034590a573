// Sarathi-Serve's stall-free batching (sarathi/core/scheduler/
// sarathi_scheduler.py): decodes first, then ongoing prefill chunks, then new
// prefills, under a fixed token budget (chunk size); newest-first preemption
// by recompute. Defaults and upstream lines: docs/baselines.md.
#pragma once

#include <vector>

#include "core/sched/scheduler.h"

namespace cacheopt {

class SarathiScheduler : public Scheduler {
 public:
  SarathiScheduler(const SchedulerConfig& config, const CostModel* cost);
  std::string_view name() const override { return "sarathi"; }

 protected:
  void ScheduleStep(double now, SchedulerOutput* out) override;

 private:
  int32_t token_budget_;
  int32_t max_num_seqs_;
  int32_t watermark_blocks_;
  std::vector<Request*> prefills_;  // scratch, reused across steps
};

}  // namespace cacheopt
