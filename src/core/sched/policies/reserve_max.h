// TensorRT-LLM's GUARANTEED_NO_EVICT capacity scheduler with its in-flight
// micro-batch scheduler: admit a request, FCFS, only when its reservation is
// free after every running request's full reservation; never preempt;
// generations, then whole contexts, share one step under max_num_tokens.
// The reservation is a part: prompt + max_tokens ("reserve-max"), or S3's
// predicted bucket, doubled on an overrun ("s3", policies/s3.h). With
// prefix_caching (TensorRT-LLM's enable_block_reuse) the room is the free
// blocks less each running request's remaining need, and an admitted request
// reuses its cached prefix (docs/baselines.md).
#pragma once

#include <memory>
#include <string>

#include "core/sched/parts/chunking.h"
#include "core/sched/parts/reservation.h"
#include "core/sched/policy_defaults.h"
#include "core/sched/scheduler.h"

namespace cacheopt {

class ReserveMaxScheduler : public Scheduler {
 public:
  ReserveMaxScheduler(const SchedulerConfig& config, const CostModel* cost, std::string name = "reserve-max",
                      std::unique_ptr<ReservationRule> reservation = std::make_unique<MaxTokensReservation>());
  std::string_view name() const override { return name_; }

 protected:
  void ScheduleStep(double now, SchedulerOutput* out) override;
  void OnEnded(Request* r) override { reservation_->OnEnded(*r); }
  // Blocks a new reservation may still take.
  int64_t Room() const;

 private:
  std::string name_;
  std::unique_ptr<ReservationRule> reservation_;
  BatchLimits limits_;  // max_num_tokens, max_batch_size
  WholePrompt chunks_;  // chunked context is off by default
};

}  // namespace cacheopt
