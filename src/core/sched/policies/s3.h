// S3-style scheduling (Jin et al., "S3: Increasing GPU Utilization during
// Generative Inference for Higher Throughput", 2023) as CACHEOPT.md
// describes it: predict the output length (the same estimator CacheOPT uses,
// no padding), bucket it (upper edges 64, 128, 256, ... up to the cap) and
// reserve prompt + the bucket's upper edge; on an overrun, preempt by
// recompute and re-admit with the next bucket. Admission and batching are
// reserve-max's (FCFS on reservations; in-flight batching), so only the
// reservation differs.
#pragma once

#include <memory>

#include "core/estimate/estimator.h"
#include "core/sched/policies/reserve_max.h"

namespace cacheopt {

class S3Scheduler : public ReserveMaxScheduler {
 public:
  S3Scheduler(const SchedulerConfig& config, const CostModel* cost,
              std::unique_ptr<OutputLengthEstimator> estimator);
  std::string_view name() const override { return "s3"; }

  // The upper edge of the bucket holding `predicted`, capped at `cap`.
  static int32_t BucketEdge(double predicted, int32_t cap);

 protected:
  int32_t Reservation(Request* r) override;
  bool OnOverrun(Request* r, SchedulerOutput* out) override;
  void OnEnded(Request* r) override;

 private:
  std::unique_ptr<OutputLengthEstimator> est_;
};

// Builds the policy from a SchedulerConfig's knobs (`estimator`,
// `noise_spread`, `prior_tokens`), validating them (registry entry).
Result<std::unique_ptr<Scheduler>> MakeS3(const SchedulerConfig& config, const CostModel* cost);

}  // namespace cacheopt
