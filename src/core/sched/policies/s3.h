// S3-style scheduling (Jin et al., "S3: Increasing GPU Utilization during
// Generative Inference for Higher Throughput", 2023) as CACHEOPT.md
// describes it: predict the output length (the same estimator CacheOPT uses,
// no padding), bucket it (upper edges 64, 128, 256, ... up to the cap) and
// reserve prompt + the bucket's upper edge; on an overrun, preempt by
// recompute and re-admit with the next bucket. It is reserve-max composed
// with another reservation part (BucketReservation): admission and batching
// are the same.
#pragma once

#include <memory>

#include "cacheopt/status.h"
#include "core/sched/scheduler.h"

namespace cacheopt {

// Builds the policy from a SchedulerConfig's knobs (`estimator`,
// `noise_spread`, `prior_tokens`), validating them (registry entry).
Result<SchedulerPtr> MakeS3(const SchedulerConfig& config, const CostModel* cost);

}  // namespace cacheopt
