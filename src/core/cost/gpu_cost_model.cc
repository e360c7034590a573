#include "cacheopt/cost/gpu_cost_model.h"

#include <algorithm>

namespace cacheopt {
namespace {

// Vidur predicts linear operators at the step's token count rounded up to a
// multiple of 8 (GEMM tiles pad the same way).
double PaddedTokens(int64_t tokens) {
  return static_cast<double>(std::max<int64_t>(8, (tokens + 7) / 8 * 8));
}

}  // namespace

Result<std::unique_ptr<GpuCostModel>> GpuCostModel::Create(ModelSpec model, GpuSpec gpu, int tp,
                                                           OperatorTables tables) {
  if (tp < 1 || model.heads % tp != 0) {
    return Status::InvalidArgument("tp " + std::to_string(tp) + " must be >= 1 and divide the " +
                                   std::to_string(model.heads) + " heads of " + model.name);
  }
  if (Status s = ValidateTables(tables, tp); !s.ok()) return s;
  return std::unique_ptr<GpuCostModel>(
      new GpuCostModel(std::move(model), std::move(gpu), tp, std::move(tables)));
}

GpuCostModel::GpuCostModel(ModelSpec model, GpuSpec gpu, int tp, OperatorTables tables)
    : model_(std::move(model)), gpu_(std::move(gpu)), tp_(tp), tables_(std::move(tables)) {
  const double hd = model_.head_dim();
  const double heads = model_.HeadsPerShard(tp_);
  const double kv_heads = model_.KvHeadsPerShard(tp_);
  kv_bytes_per_token_ = model_.KvBytesPerToken(tp_);
  layers_ = model_.layers;
  q_bytes_per_token_ = 2.0 * heads * hd * 2;
  causal_flops_per_token2_ = 2.0 * hd * heads;
  prefix_flops_per_token2_ = 4.0 * hd * heads;
  kv_bytes_per_token_layer_ = 2.0 * kv_heads * hd * model_.kv_cache_bytes;
  all_reduce_bytes_per_token_ = 2.0 * model_.hidden;
  const double shard_vocab = static_cast<double>(model_.vocab) / tp_;
  lm_head_flops_per_row_ = 2.0 * model_.hidden * shard_vocab;
  lm_head_weight_bytes_ = 2.0 * model_.hidden * shard_vocab;
  logits_bytes_per_row_ = 2.0 * model_.vocab;
}

StepCost GpuCostModel::Cost(std::span<const SeqWork> seqs) const {
  const AttentionCoeffs& a = tables_.attention;
  int64_t tokens = 0;
  int64_t rows = 0;
  bool any_prefill = false;
  bool any_decode = false;
  double prefill_s = 0;
  double decode_kv_bytes = 0;
  for (const SeqWork& w : seqs) {
    if (w.num_tokens <= 0) continue;
    ++rows;
    tokens += w.num_tokens;
    const double n = w.num_tokens;
    const double ctx = std::max(0, w.context_before);
    if (w.num_tokens == 1 && w.context_before > 0) {
      any_decode = true;
      decode_kv_bytes += (ctx + 1) * kv_bytes_per_token_layer_;
      continue;
    }
    any_prefill = true;
    const double prefix_compute = n * ctx * prefix_flops_per_token2_ / a.prefix_flops_per_s;
    const double prefix_memory = ctx * kv_bytes_per_token_layer_ / a.kv_bytes_per_s;
    prefill_s += n * q_bytes_per_token_ * a.prefill_s_per_q_byte +
                 n * n * causal_flops_per_token2_ / a.causal_flops_per_s +
                 std::max(prefix_compute, prefix_memory);
  }
  StepCost c;
  if (rows == 0) return c;

  const double padded = PaddedTokens(tokens);
  c.linear_s = layers_ * tables_.layer_s(padded) + tables_.step_s(padded);
  double attention_layer_s = prefill_s;
  if (any_prefill) attention_layer_s += a.prefill_floor_s;
  if (any_decode) attention_layer_s += a.decode_floor_s + decode_kv_bytes / a.kv_bytes_per_s;
  c.attention_s = layers_ * attention_layer_s;
  const double n_rows = static_cast<double>(rows);
  if (tp_ > 1) {
    c.all_reduce_s = 2 * layers_ * tables_.all_reduce_s(padded * all_reduce_bytes_per_token_);
  }
  // Every sequence gets a logits row (a mid-prompt chunk's is wasted work
  // vLLM skips; it is small next to the layers).
  c.lm_head_s = std::max(n_rows * lm_head_flops_per_row_ / tables_.gemm_flops_per_s,
                         lm_head_weight_bytes_ / tables_.weight_bytes_per_s);
  if (tp_ > 1) c.lm_head_s += tables_.all_reduce_s(n_rows * logits_bytes_per_row_);
  c.overhead_s = tables_.overhead.step_s + tables_.overhead.per_seq_s * n_rows;
  return c;
}

double GpuCostModel::SwapTime(int64_t blocks_out, int64_t blocks_in, int block_size) const {
  const int64_t blocks = std::max<int64_t>(0, blocks_out) + std::max<int64_t>(0, blocks_in);
  if (blocks == 0 || block_size <= 0) return 0;
  const double copies = static_cast<double>(blocks) * model_.layers * 2;
  const double bytes = static_cast<double>(blocks) * block_size * kv_bytes_per_token_;
  return copies * gpu_.host_copy_latency_s + bytes / gpu_.host_link_bytes_per_s;
}

}  // namespace cacheopt
