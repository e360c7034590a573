// A trace's prefix identity turned into the scheduler's block hashes. A
// trace names units of `unit` tokens (Mooncake's `hash_ids`: 512; the
// generated prefix workloads: 16); equal ids mean equal content and prefix.
// At a block size that divides the unit each id becomes unit/block_size of
// our blocks, keyed by the id, the sub-block's index and how much of the unit
// the prompt covers; at a multiple of the unit a block is keyed by the ids it
// spans. Keys are chained, so equal id sequences give equal hashes, and a
// partly covered id shares only with the same coverage. Only full blocks get
// a hash.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "cacheopt/block_hash.h"
#include "cacheopt/status.h"

namespace cacheopt {

// Block hashes of a prompt of `prompt_tokens` whose `unit`-token blocks carry
// `ids` (the prompt may be shorter than the ids cover: a clipped prompt).
// InvalidArgument when `block_size` neither divides `unit` nor is a
// multiple of it, naming the sizes that work.
Result<std::vector<BlockHash>> PrefixBlockHashes(std::span<const int64_t> ids, int32_t prompt_tokens,
                                                 int32_t block_size, int32_t unit);

// Block hashes of a request's whole sequence: its prompt's full blocks, then
// the blocks its output of `output_tokens` fills. When `ids_cover_output`
// the ids run over the prompt and then its answer (a generated multi-turn
// conversation, whose next prompt repeats the answer), and every block is
// keyed by them; otherwise the prompt's blocks are keyed as PrefixBlockHashes
// does and each answer block by `request_id` and its index alone (an answer
// nothing else repeats). Errors as PrefixBlockHashes.
Result<std::vector<BlockHash>> SequenceBlockHashes(std::span<const int64_t> ids, bool ids_cover_output,
                                                   int32_t prompt_tokens, int32_t output_tokens, int32_t block_size,
                                                   int32_t unit, int64_t request_id);

}  // namespace cacheopt
