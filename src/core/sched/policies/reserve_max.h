// TensorRT-LLM's GUARANTEED_NO_EVICT capacity scheduler with its in-flight
// micro-batch scheduler: admit a request only when prompt + max_tokens blocks
// are free after every running request's full reservation; never preempt;
// contexts and generations share one step under max_num_tokens.
#pragma once

#include "core/sched/scheduler.h"

namespace cacheopt {

class ReserveMaxScheduler : public Scheduler {
 public:
  ReserveMaxScheduler(const SchedulerConfig& config, const CostModel* cost);
  std::string_view name() const override { return "reserve-max"; }

 protected:
  void ScheduleStep(double now, SchedulerOutput* out) override;
  // Blocks to reserve for `r` at admission: prompt plus its max_tokens cap.
  virtual int32_t Reservation(Request* r);
  // `r` needs more than its reservation (never here; S3's under-prediction).
  // Returns false when `r` left running.
  virtual bool OnOverrun(Request* r, SchedulerOutput* out);

 private:
  int32_t max_num_tokens_;
  int32_t max_batch_size_;
};

}  // namespace cacheopt
