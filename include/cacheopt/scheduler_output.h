// What one scheduling step decided: which requests run how many tokens, which
// KV blocks to copy between tiers first, and who was preempted or rejected.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "cacheopt/block_hash.h"

namespace cacheopt {

// One KV block copied between tiers (swap out: device -> host; in: back).
struct BlockCopy {
  int32_t src = 0;
  int32_t dst = 0;
};

enum class PreemptKind : int8_t { kRecompute, kSwap };

// Plain data: executors see ids and counts, never the scheduler's requests.
struct ScheduledSeq {
  int64_t request_id = 0;
  int32_t num_tokens = 0;      // new tokens fed this step (prefill chunk or 1)
  int32_t context_before = 0;  // tokens already in its KV cache
  int32_t num_output = 0;      // tokens it had generated before this step
  int32_t slot = -1;           // the scheduler's handle for its KV (executors need not read it)
  bool emits_token = false;    // the step reaches the sequence's end: sample one

  // A prompt (or recompute) chunk, not a decode. Derived, not stored: a
  // decode is the one sequence kind that feeds a single token, samples, and
  // has sampled before.
  bool prefill() const { return !emits_token || num_tokens > 1 || num_output == 0; }
};

struct PreemptionRecord {
  int64_t request_id = 0;
  PreemptKind kind = PreemptKind::kRecompute;
  int32_t blocks = 0;  // device blocks released
};

struct SchedulerOutput {
  int64_t step = 0;
  double now = 0;
  std::vector<ScheduledSeq> seqs;
  std::vector<BlockCopy> swap_out;  // device -> host, before the step runs
  std::vector<BlockCopy> swap_in;   // host -> device, before the step runs
  // device -> host, issued ahead of need: the copy overlaps this step's compute.
  std::vector<BlockCopy> swap_out_ahead;
  std::vector<PreemptionRecord> preempted;
  std::vector<int64_t> rejected;    // requests that can never fit the pool
  // The scheduled sequences' device block tables, one after another:
  // seqs[i]'s are block_ids[block_offsets[i], block_offsets[i + 1]). Filled
  // only for executors that read KV (Executor::ReadsKv); the simulator's
  // needs none.
  std::vector<int32_t> block_ids;
  std::vector<int32_t> block_offsets;

  std::span<const int32_t> BlocksOf(size_t i) const {
    return std::span<const int32_t>(block_ids).subspan(block_offsets[i], block_offsets[i + 1] - block_offsets[i]);
  }

  bool empty() const { return seqs.empty() && swap_out.empty() && swap_in.empty() && swap_out_ahead.empty(); }
  void Clear() {
    seqs.clear();
    swap_out.clear();
    swap_in.clear();
    swap_out_ahead.clear();
    preempted.clear();
    rejected.clear();
    block_ids.clear();
    block_offsets.clear();
  }
};

// One per scheduled sequence, in the same order as SchedulerOutput::seqs.
struct SeqResult {
  int32_t token = -1;  // sampled token when emits_token, else -1
  bool eos = false;    // the model ended the sequence with this token
  // When the sampled token fills a block of the sequence (prompt plus
  // output), that block's chained hash: the prefix cache registers generated
  // blocks too, as vLLM V1 does (Request.append_output_token_ids feeds its
  // block hasher). Only the executor knows the tokens; kNoParent: none.
  BlockHash filled_block_hash = kNoParent;
};

struct ExecutorOutput {
  double duration_s = 0;  // wall (or simulated) time of the step, copies included
  std::vector<SeqResult> results;
};

}  // namespace cacheopt
