// The simulator's model of one GPU replica (tp shards) running a model:
// per-step time from profiled operator tables plus a calibrated attention
// roofline, swap time from the host link. See docs/cost-model.md.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "cacheopt/cost/cost_model.h"
#include "cacheopt/cost/gpu_spec.h"
#include "cacheopt/cost/kv_capacity.h"
#include "cacheopt/cost/model_spec.h"
#include "cacheopt/cost/operator_tables.h"
#include "cacheopt/status.h"

namespace cacheopt {

// One step's seconds by component; total() is what StepTime returns.
struct StepCost {
  double linear_s = 0;      // layers x non-attention operators, plus embedding
  double attention_s = 0;   // prefill chunks and decodes, all layers
  double all_reduce_s = 0;  // 2 per layer when tp > 1
  double lm_head_s = 0;     // logits for each sequence, and their gather
  double overhead_s = 0;    // host-side scheduling, inputs, sampling, outputs
  double total() const { return linear_s + attention_s + all_reduce_s + lm_head_s + overhead_s; }
};

class GpuCostModel : public CostModel {
 public:
  // Fails on tp < 1, heads not divisible by tp, or tables ValidateTables rejects.
  static Result<std::unique_ptr<GpuCostModel>> Create(ModelSpec model, GpuSpec gpu, int tp,
                                                      OperatorTables tables);

  double StepTime(std::span<const SeqWork> seqs) const override { return Cost(seqs).total(); }
  // Copies are counted as vLLM's swap_blocks issues them: one cudaMemcpyAsync
  // per block, per layer, for K and for V. Both directions share the link.
  double SwapTime(int64_t blocks_out, int64_t blocks_in, int block_size) const override;
  int64_t KvBytesPerToken() const override { return kv_bytes_per_token_; }

  // O(seqs), no allocation: called once per simulated step.
  StepCost Cost(std::span<const SeqWork> seqs) const;

  const ModelSpec& model() const { return model_; }
  const GpuSpec& gpu() const { return gpu_; }
  int tp() const { return tp_; }
  const OperatorTables& tables() const { return tables_; }

 private:
  GpuCostModel(ModelSpec model, GpuSpec gpu, int tp, OperatorTables tables);

  ModelSpec model_;
  GpuSpec gpu_;
  int tp_;
  OperatorTables tables_;
  int64_t kv_bytes_per_token_;
  // Per layer, per shard, precomputed so Cost() only multiplies.
  double layers_;
  double q_bytes_per_token_;         // Q and O, fp16
  double causal_flops_per_token2_;   // x n^2 for a chunk against itself
  double prefix_flops_per_token2_;   // x n * context for a chunk against its prefix
  double kv_bytes_per_token_layer_;  // K and V of one token in one layer
  double all_reduce_bytes_per_token_;
  double lm_head_flops_per_row_;
  double lm_head_weight_bytes_;
  double logits_bytes_per_row_;
};

}  // namespace cacheopt
