// The mixed-batch forward pass. Every scheduled token of every sequence (a
// prefill chunk or one decode token each) is a row of one [T][dim] matrix;
// each linear layer is one matrix multiply over all T rows, attention runs per
// (sequence, head) over the paged cache, split across the thread pool.
//
// With GemmMode::kInvariant a sequence's logits are bitwise the same alone,
// in any batch, under any prefill chunking, and after its cache was rebuilt
// by recompute or restored by swap: every reduction has a fixed order per row.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "exec/cpu/kv_arena.h"
#include "exec/cpu/linear.h"
#include "exec/cpu/thread_pool.h"
#include "model/model.h"

namespace cacheopt {

// Where a forward pass spends its time, accumulated over the steps run while
// it is attached (Forward::set_profile). Off by default: then the only cost
// is a null-pointer check per phase.
struct ForwardProfile {
  double qkv_s = 0;        // q|k|v projection
  double wo_s = 0;         // attention output projection
  double ffn_s = 0;        // w1|w3 and w2
  double cls_s = 0;        // final norm + classifier
  double attention_s = 0;  // K/V writes into the paged cache + attention
  double row_ops_s = 0;    // embeddings, RMSNorm, RoPE, SwiGLU, residual adds
  int64_t steps = 0;
  int64_t rows = 0;        // token rows over all steps

  double gemm_s() const { return qkv_s + wo_s + ffn_s + cls_s; }
  double total_s() const { return gemm_s() + attention_s + row_ops_s; }
};

struct ForwardSeq {
  std::span<const int32_t> tokens;  // this step's tokens, at positions start_pos..
  int32_t start_pos = 0;            // tokens already in the cache
  std::span<const int32_t> blocks;  // device block table covering start_pos + tokens
  bool want_logits = false;         // logits of its last token
};

class Forward {
 public:
  // `model` and `pool` must outlive this. Packs the weights (kInvariant).
  Forward(const Model& model, GemmMode mode, ThreadPool* pool);

  // Runs one step, writing every token's K/V into `kv`'s device tier.
  // `logits`: [seqs with want_logits][vocab], in batch order. `all_logits`
  // (optional, tests): [T][vocab] for every row of the batch.
  void Run(std::span<const ForwardSeq> seqs, KvArena* kv, std::vector<float>* logits,
           std::vector<float>* all_logits = nullptr);

  const Model& model() const { return model_; }
  GemmMode mode() const { return mode_; }
  // Accumulates phase times into `p` (null: off). `p` must outlive its use.
  void set_profile(ForwardProfile* p) { profile_ = p; }

 private:
  struct Layer {
    Linear qkv;  // [q | k | v], out dim + 2 kv_dim
    Linear wo;
    Linear w13;  // [w1 | w3], out 2 hidden
    Linear w2;
    std::vector<float> qkv_bias;  // [q | k | v] biases; empty when the model has none
  };
  void Attention(std::span<const ForwardSeq> seqs, int32_t layer, KvArena* kv);
  void Classify(const std::vector<int32_t>& rows, float* out);

  const Model& model_;
  GemmMode mode_;
  ThreadPool* pool_;
  ForwardProfile* profile_ = nullptr;
  std::vector<Layer> layers_;
  Linear cls_;

  // Scratch, grown to the largest batch seen.
  std::vector<float> x_, xb_, qkv_, att_, h13_, hb_, tmp_;
  std::vector<int32_t> pos_;  // position of each row
};

}  // namespace cacheopt
