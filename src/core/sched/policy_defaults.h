// Every baseline's documented defaults, in one place (docs/baselines.md
// cites the upstream source of each). A value set in SchedulerConfig (> 0,
// or a watermark >= 0) overrides the default. CacheOPT's defaults are its
// options (core/sched/cacheopt/options.h); the estimator a server gives a
// policy is in the registry (ServingKnobDefaults).
#pragma once

#include <cstdint>

#include "cacheopt/scheduler_config.h"

namespace cacheopt {

struct BatchLimits {
  int32_t token_budget = 0;  // max tokens per step (max_num_batched_tokens)
  int32_t max_num_seqs = 0;
};

// vLLM V0: budget max(max_model_len, 2048), 256 sequences.
BatchLimits VllmV0Limits(const SchedulerConfig& c);
// vLLM V1 online serving: 8192 tokens / 1024 sequences on >= 70 GiB GPUs
// other than A100, else 2048 / 256 (arg_utils.py).
BatchLimits VllmV1Limits(const SchedulerConfig& c);
// Sarathi-Serve: a 512-token budget, 128 sequences.
BatchLimits SarathiLimits(const SchedulerConfig& c);
// TensorRT-LLM: max_num_tokens 8192, max_batch_size 2048 (reserve-max, S3).
BatchLimits ReserveMaxLimits(const SchedulerConfig& c);

// Watermark blocks of vLLM V0 and Sarathi-Serve: 1% of the pool. Upstream
// int(watermark * blocks) is 0 below 100 blocks; with the one-free-block
// decode rule a lone request filling such a pool would then preempt itself
// for ever, so tiny pools keep at least one block back. Sarathi keeps one
// even at an explicit 0 (`at_least_one_at_zero`): a request holding the whole
// pool cannot decode, and its recompute chunks can end one token short of the
// end, a tail the decode pass handles, which preempts it again (docs/soak.md).
int32_t VllmWatermarkBlocks(const SchedulerConfig& c, bool at_least_one_at_zero);
// vLLM V1's watermark (PR vllm-project/vllm#44594, merged June 2026): a
// fraction of all blocks kept free when admitting; 0 (off) by default.
int32_t VllmV1WatermarkBlocks(const SchedulerConfig& c);

}  // namespace cacheopt
