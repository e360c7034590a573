// The one model of time every policy and the simulator share. Implementations:
// a GPU model assembled from profiled operator tables (gpu_cost_model.h) and,
// later, a CPU model fitted from this machine's measurements.
#pragma once

#include <cstdint>
#include <span>

namespace cacheopt {

// One sequence's share of a step: `num_tokens` new tokens on top of
// `context_before` tokens already in its KV cache. A decode is {1, context}.
struct SeqWork {
  int32_t num_tokens = 0;
  int32_t context_before = 0;
};

class CostModel {
 public:
  virtual ~CostModel() = default;

  // Seconds of compute for one step running all `seqs` together, including the
  // fixed per-step overhead; excludes swap copies. Empty batch -> 0.
  virtual double StepTime(std::span<const SeqWork> seqs) const = 0;

  // Seconds to copy KV between tiers within one step: `blocks_out` device->host
  // and `blocks_in` host->device, each block holding `block_size` tokens.
  // Copies in both directions at once share the link.
  virtual double SwapTime(int64_t blocks_out, int64_t blocks_in, int block_size) const = 0;

  // Bytes of KV cache one token occupies on one device (per TP shard).
  virtual int64_t KvBytesPerToken() const = 0;

  // How much longer than predicted a step runs at the 95th percentile
  // (>= 1): a policy that sizes steps to an SLO aims this much under it.
  // 1 for a model that is the clock itself (the simulator's); a model fitted
  // to measured steps says how far off it is.
  virtual double OverrunRatioP95() const { return 1.0; }

  double SoloPrefillTime(int32_t prompt_tokens) const {
    SeqWork w{prompt_tokens, 0};
    return StepTime(std::span<const SeqWork>(&w, 1));
  }
  double SoloDecodeTime(int32_t context_tokens) const {
    SeqWork w{1, context_tokens};
    return StepTime(std::span<const SeqWork>(&w, 1));
  }
};

}  // namespace cacheopt
