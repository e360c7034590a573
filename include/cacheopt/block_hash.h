// Content identity of full KV blocks for the prefix cache, in vLLM V1's
// scheme (vllm/v1/core/kv_cache_utils.py, hash_block_tokens): a block's hash
// chains its parent's hash, its token ids and the extra keys that change
// what the same tokens mean (a LoRA adapter, multimodal inputs; none yet),
// so equal hashes mean equal prefixes up to and including the block. Only
// full blocks get a hash: a partial last block is never shared.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace cacheopt {

using BlockHash = uint64_t;

// What else keys a block besides its tokens. Empty for plain text.
struct BlockExtraKeys {
  uint64_t adapter = 0;                  // a LoRA adapter's id (0: none)
  std::span<const uint64_t> multimodal = {};  // hashes of the inputs the block covers
};

// The hash of the first block has parent kNoParent.
inline constexpr BlockHash kNoParent = 0;

BlockHash HashBlock(BlockHash parent, std::span<const int32_t> tokens, const BlockExtraKeys& extra = {});

// The chained hashes of every full block of `tokens` (tokens.size() /
// block_size of them).
std::vector<BlockHash> HashFullBlocks(std::span<const int32_t> tokens, int32_t block_size,
                                      const BlockExtraKeys& extra = {});

}  // namespace cacheopt
