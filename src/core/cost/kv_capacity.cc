#include "cacheopt/cost/kv_capacity.h"

#include <algorithm>

namespace cacheopt {
namespace {

constexpr int64_t kProfileTokens = 4096;  // vLLM's max_num_batched_tokens for 4k-context models
constexpr int64_t kProfileSeqs = 256;     // vLLM's default max_num_seqs
constexpr int64_t kLogitsCopies = 3;      // fp32 logits, probs, logprobs in the sampler
constexpr int64_t kRuntimeBytes = 1LL << 30;

}  // namespace

int64_t ActivationBytesEstimate(const ModelSpec& m, int tp) {
  // The peak is inside the MLP: residual, input and output hidden states plus
  // the gate/up projections and the activation, all fp16.
  const int64_t ffn_shard = m.ffn / tp;
  const int64_t mlp_width = (m.gated_mlp ? 3 : 2) * ffn_shard;
  const int64_t per_token = 2 * (3 * static_cast<int64_t>(m.hidden) + mlp_width);
  const int64_t logits = kProfileSeqs * m.vocab * 4 * kLogitsCopies;
  return kProfileTokens * per_token + logits + kRuntimeBytes;
}

int64_t KvCapacityTokens(const ModelSpec& m, const GpuSpec& gpu, int tp,
                         double gpu_memory_utilization) {
  if (tp < 1) return 0;
  const double budget = static_cast<double>(gpu.memory_bytes) * gpu_memory_utilization;
  const double weights = 2.0 * static_cast<double>(m.ParamCount()) / tp;
  const double free = budget - weights - static_cast<double>(ActivationBytesEstimate(m, tp));
  if (free <= 0) return 0;
  return static_cast<int64_t>(free / static_cast<double>(m.KvBytesPerToken(tp)));
}

}  // namespace cacheopt
