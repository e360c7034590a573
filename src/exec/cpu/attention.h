// Causal attention of one sequence's new tokens over its paged KV cache.
// Prefill chunks and decodes take the same path and every reduction runs in
// a fixed order per query (positions 0..p ascending), so a query's output
// depends only on the cached K/V, never on the batch or on how the prompt
// was chunked.
#pragma once

#include <cstdint>
#include <span>

#include "exec/cpu/kv_arena.h"
#include "model/model.h"

namespace cacheopt {

// Where one sequence's tokens sit in the stacked batch and in the cache.
struct AttentionSeq {
  int32_t row0 = 0;        // first batch row of this sequence
  int32_t num_tokens = 0;  // rows this step
  int32_t start_pos = 0;   // position of the first row (tokens already cached)
  std::span<const int32_t> blocks;  // device block table
};

// Stores the step's K and V rows (k at column k_col of `qkv`, v at v_col,
// each kv_dim wide, K already rotated) into the sequence's cache blocks.
void WriteKv(const ModelConfig& c, const AttentionSeq& s, int32_t layer, const float* qkv, int64_t ld,
             int32_t k_col, int32_t v_col, KvArena* kv);

// out[row][head*hs..+hs) for every row of `s`: query head `head` (columns of
// `q`, already rotated) against cached positions 0..pos of its kv head.
// On AVX2 machines, with head sizes a multiple of 8, a vectorized path that
// performs the portable one's operations element for element (no fused
// multiply-add, every sum in the same order): the same bits.
void AttendHead(const ModelConfig& c, const AttentionSeq& s, int32_t layer, int32_t head, const float* q,
                int64_t ldq, const KvArena& kv, float* out, int64_t ldo);
// The portable path alone (tests compare the two).
void AttendHeadPortable(const ModelConfig& c, const AttentionSeq& s, int32_t layer, int32_t head, const float* q,
                        int64_t ldq, const KvArena& kv, float* out, int64_t ldo);

}  // namespace cacheopt
