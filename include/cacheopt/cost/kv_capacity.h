// How many tokens of KV cache fit on each device, the way vLLM sizes its
// pool: a fraction of device memory, less weights and the activation peak of
// a profiling forward pass.
#pragma once

#include <cstdint>

#include "cacheopt/cost/gpu_spec.h"
#include "cacheopt/cost/model_spec.h"

namespace cacheopt {

// Bytes one device reserves besides weights and KV (see docs/cost-model.md):
// the activation peak of a 4096-token forward pass, the sampler's fp32 logits
// for 256 sequences, and 1 GiB of CUDA context, cuBLAS and NCCL buffers.
int64_t ActivationBytesEstimate(const ModelSpec& model, int tp);

// (memory x utilization - weights / tp - activations) / KV bytes per token,
// clamped at 0.
int64_t KvCapacityTokens(const ModelSpec& model, const GpuSpec& gpu, int tp,
                         double gpu_memory_utilization);

}  // namespace cacheopt
