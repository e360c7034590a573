// A request as the scheduler sees it: what the client sent (prompt length, a
// max_tokens cap, SLOs) and how far it has got. It never holds the true output
// length: only the executor knows when the model emits end-of-sequence.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "cacheopt/block_hash.h"
#include "cacheopt/gap_stats.h"

namespace cacheopt {

enum class RequestState : int8_t {
  kWaiting,   // queued: new, or preempted by recompute
  kRunning,   // holds device KV; scheduled in steps
  kSwapped,   // KV lives in the host tier
  kFinished,  // emitted EOS or reached max_tokens
  kRejected,  // can never fit (e.g. larger than the whole KV pool)
  kAborted,   // cancelled by its client
};
std::string_view ToString(RequestState s);

enum class SloClass : int8_t { kTight = 0, kMedium = 1, kLoose = 2 };
inline constexpr int kNumSloClasses = 3;
std::string_view ToString(SloClass c);

// What a client submits. Times are seconds on the engine's clock.
struct RequestSpec {
  int64_t id = 0;
  double arrival_s = 0;
  int32_t prompt_tokens = 0;
  int32_t max_tokens = 0;  // cap on generated tokens, independent of the truth
  SloClass slo_class = SloClass::kMedium;
  double ttft_slo_s = 0;   // time-to-first-token target
  double tbt_slo_s = 0;    // time-between-tokens target
  // What the `text` estimator reads of the prompt: its hashed n-gram
  // features (PromptFeatures, core/estimate/text_estimator.h). The real
  // engine fills it; null elsewhere (the estimator then uses the length).
  std::shared_ptr<const std::vector<uint32_t>> prompt_features;
  // The chained hashes of its prompt's full blocks at the scheduler's block
  // size, in token order (HashFullBlocks; the simulator derives them from a
  // trace's prefix ids), for the prefix cache. Null: nothing to share. The
  // blocks its output fills are hashed as they fill (SeqResult::
  // filled_block_hash) and kept in Request::all_block_hashes.
  std::shared_ptr<const std::vector<BlockHash>> block_hashes;
  // The request group it belongs to (kNoGroup: none): the choices of one
  // prompt (OpenAI's `n` > 1) share a group id, by convention the first
  // choice's request id. Policies that treat a group as one (vLLM V0's
  // SequenceGroup; docs/baselines.md) admit its waiting members together or
  // not at all and preempt its running members together; the others schedule
  // each member alone.
  int64_t group = kNoGroup;
  static constexpr int64_t kNoGroup = -1;
};

struct Request {
  RequestSpec spec;
  RequestState state = RequestState::kWaiting;

  int32_t num_output = 0;    // tokens generated so far
  int32_t num_computed = 0;  // tokens whose KV is in the cache (device or host)
  bool stopped = false;      // the model ended it (EOS or a stop token), not a cap
  int32_t kv_slot = -1;      // block-table slot in the BlockManager; -1: none
  int64_t admit_seq = -1;    // order of (re)admission to running; newest = max
  // Accounting of reservation-based policies (reserve-max, s3, cacheopt).
  int32_t reserved_blocks = 0;   // blocks promised to it (not necessarily held)
  double padded_output = 0;      // output tokens its reservation covers
  double predicted_output = -1;  // Lhat at first admission, for the estimator's residuals
  Request* lender = nullptr;     // pairwise lending: the host it borrows from
  int32_t lent_blocks = 0;       // blocks it has lent to guests
  int32_t guests = 0;            // how many guests borrow from it

  // Timeline, for metrics.
  double first_token_s = -1;
  double last_token_s = -1;
  double finish_s = -1;
  GapStats gaps;  // its gaps between consecutive tokens, against its TBT SLO

  // Preemption record.
  int32_t preemptions_recompute = 0;
  int32_t preemptions_swap = 0;
  int64_t recomputed_tokens = 0;
  int64_t swapped_blocks = 0;

  // Prefix cache: its leading device blocks already offered to the cache
  // (attached from it, or registered once computed); and the prompt tokens
  // its first admission found cached (-1 before it).
  int32_t cached_blocks = 0;
  int32_t prefix_hit_tokens = -1;
  // The prompt's block hashes followed by those of the blocks its output has
  // filled; empty until the first output block fills (BlockHashes() reads
  // the spec's until then, so a prompt's hashes are copied only then).
  std::vector<BlockHash> all_block_hashes;
  std::span<const BlockHash> BlockHashes() const {
    if (!all_block_hashes.empty()) return all_block_hashes;
    return spec.block_hashes != nullptr ? std::span<const BlockHash>(*spec.block_hashes) : std::span<const BlockHash>();
  }

  // Prompt plus generated tokens: what a recompute must re-prefill.
  int32_t TotalTokens() const { return spec.prompt_tokens + num_output; }
  // Tokens still to feed through the model before the next token is sampled.
  int32_t TokensToCompute() const { return TotalTokens() - num_computed; }
  bool InPrefill() const { return TokensToCompute() > 1 || num_output == 0; }
  int32_t Preemptions() const { return preemptions_recompute + preemptions_swap; }
  bool Done() const {
    return state == RequestState::kFinished || state == RequestState::kRejected ||
           state == RequestState::kAborted;
  }
};

}  // namespace cacheopt
