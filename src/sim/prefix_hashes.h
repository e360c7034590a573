// A trace's prefix identity turned into the scheduler's block hashes.
// Mooncake's `hash_ids` name 512-token blocks (equal ids: equal content and
// prefix); at a block size that divides 512 each id becomes 512/block_size
// of our blocks, keyed by the id, the sub-block's index and how much of the
// 512 tokens the prompt covers, and chained, so equal id sequences give equal
// hashes and a partly covered id shares only with the same coverage. Only
// full blocks get a hash.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "cacheopt/block_hash.h"
#include "cacheopt/status.h"

namespace cacheopt {

// The block sizes a 512-token prefix id splits into.
bool DividesPrefixBlock(int32_t block_size);

// Block hashes of a prompt of `prompt_tokens` whose 512-token blocks carry
// `ids` (the prompt may be shorter than the ids cover: a clipped prompt).
// InvalidArgument when `block_size` does not divide 512, naming the sizes
// that do.
Result<std::vector<BlockHash>> PrefixBlockHashes(std::span<const int64_t> ids, int32_t prompt_tokens,
                                                 int32_t block_size);

}  // namespace cacheopt
