// The real executor: runs the scheduler's steps through a Llama model on the
// CPU. It owns the KV arenas (performing the scheduler's swap copies for
// real), each request's tokens (prompt + generated) and sampling, and so it
// is the one that decides when a sequence ends.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "cacheopt/cost/cpu_cost_model.h"
#include "cacheopt/executor.h"
#include "cacheopt/status.h"
#include "exec/cpu/forward.h"
#include "exec/cpu/grammar_mask.h"
#include "exec/cpu/kv_arena.h"
#include "exec/cpu/sampler.h"
#include "exec/cpu/thread_pool.h"
#include "model/model.h"

namespace cacheopt {

struct CpuExecutorOptions {
  int32_t device_blocks = 0;  // must match the scheduler's SchedulerConfig
  int32_t host_blocks = 0;
  int32_t block_size = 16;
  int32_t threads = 0;  // 0: std::thread::hardware_concurrency()
  GemmMode gemm = GemmMode::kInvariant;
  KvDtype kv_dtype = KvDtype::kF32;  // how the KV arenas keep K and V
  bool keep_logits = false;  // keep each sequence's last logits (tests)
  // Online refinement: every step's compute time and copy time are observed
  // into this model (which must outlive the executor), refitted every
  // `refit_every` steps. Null: no observations.
  CpuCostModel* cost_model = nullptr;
  int32_t refit_every = 32;
};

// Where Execute spends its time, accumulated while attached
// (CpuExecutor::set_profile); off by default (a null-pointer check).
struct CpuExecutorProfile {
  ForwardProfile forward;  // inside the forward pass, by phase
  double copy_s = 0;       // swap copies between the KV tiers
  double prepare_s = 0;    // building the batch from the scheduler's step
  double forward_s = 0;    // Forward::Run as a whole
  double sample_s = 0;     // sampling and appending the tokens
  int64_t steps = 0;

  double total_s() const { return copy_s + prepare_s + forward_s + sample_s; }
};

class CpuExecutor : public Executor {
 public:
  // `model` must outlive the executor.
  CpuExecutor(const Model& model, CpuExecutorOptions opts);

  // Registers request `id` before the scheduler first runs it. An empty
  // params.stop_ids takes the model's stop ids.
  Status AddSequence(int64_t id, std::vector<int32_t> prompt_tokens, SamplingParams params);
  // Drops a finished or aborted request's tokens.
  void RemoveSequence(int64_t id);

  const std::vector<int32_t>* Tokens(int64_t id) const;  // prompt + generated; null if unknown
  std::vector<int32_t> GeneratedTokens(int64_t id) const;
  // Logits behind the last sampled token (keep_logits only); null if none.
  const std::vector<float>* LastLogits(int64_t id) const;
  // Per generated token, its draw with log-probabilities (params.logprobs
  // >= 0 only; else empty); null if unknown.
  const std::vector<SampledToken>* Logprobs(int64_t id) const;
  // Each token's bytes as a grammar sees them (built on first use).
  const std::shared_ptr<const TokenTrie>& token_trie();
  // Grammar masks computed (cache misses) so far, over every sequence.
  int64_t grammar_mask_misses() const { return mask_cache_.misses(); }

  void Execute(const SchedulerOutput& step, ExecutorOutput* out) override;
  bool ReadsKv() const override { return true; }

  const KvArena& arena() const { return arena_; }
  // The forward pass (packed weights, thread pool), for calibrate.h.
  Forward& forward() { return forward_; }
  int32_t threads() const { return pool_.size(); }
  // Accumulates step timings into `p` (null: off); `p` must outlive its use.
  void set_profile(CpuExecutorProfile* p) {
    profile_ = p;
    forward_.set_profile(p != nullptr ? &p->forward : nullptr);
  }

 private:
  struct Sequence {
    std::vector<int32_t> tokens;
    int32_t prompt_len = 0;
    SamplingParams params;
    std::vector<float> last_logits;
    // The chain of its full blocks' hashes, for the prefix cache.
    BlockHash last_hash = kNoParent;
    int32_t hashed_blocks = 0;
    std::vector<SampledToken> logprobs;
    std::unique_ptr<GrammarState> grammar;  // response_format
  };
  Sequence* Find(int64_t id);
  // The chained hash of the block `q`'s last token filled; kNoParent if none.
  BlockHash HashFilledBlock(Sequence* q) const;
  void Observe(const SchedulerOutput& step, double compute_s, double copy_s);

  const Model& model_;
  CpuExecutorOptions opts_;
  ThreadPool pool_;
  KvArena arena_;
  Forward forward_;
  Sampler sampler_;
  std::shared_ptr<const TokenTrie> trie_;
  GrammarMaskCache mask_cache_;  // every sequence's grammar masks
  std::unordered_map<int64_t, Sequence> seqs_;
  // Scratch reused across steps.
  std::vector<ForwardSeq> batch_;
  std::vector<Sequence*> batch_seqs_;
  std::vector<float> logits_;
  std::vector<SeqWork> work_;
  int64_t observed_steps_ = 0;
  CpuExecutorProfile* profile_ = nullptr;
};

}  // namespace cacheopt
