#include "cacheopt/block_hash.h"

// The state on the stack (its layout is stable in the 0.8 series).
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

namespace cacheopt {

BlockHash HashBlock(BlockHash parent, std::span<const int32_t> tokens, const BlockExtraKeys& extra) {
  // One streaming XXH3 over parent, tokens and the extra keys, each part
  // length-prefixed so that no two different inputs share a byte stream.
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  XXH3_64bits_update(&state, &parent, sizeof parent);
  const uint64_t n = tokens.size();
  XXH3_64bits_update(&state, &n, sizeof n);
  XXH3_64bits_update(&state, tokens.data(), tokens.size_bytes());
  if (extra.adapter != 0 || !extra.multimodal.empty()) {
    const uint64_t m = extra.multimodal.size();
    XXH3_64bits_update(&state, &extra.adapter, sizeof extra.adapter);
    XXH3_64bits_update(&state, &m, sizeof m);
    XXH3_64bits_update(&state, extra.multimodal.data(), extra.multimodal.size_bytes());
  }
  BlockHash h = XXH3_64bits_digest(&state);
  return h == kNoParent ? 1 : h;  // kNoParent stays reserved for "no parent"
}

std::vector<BlockHash> HashFullBlocks(std::span<const int32_t> tokens, int32_t block_size,
                                      const BlockExtraKeys& extra) {
  std::vector<BlockHash> out;
  if (block_size <= 0) return out;
  const size_t full = tokens.size() / static_cast<size_t>(block_size);
  out.reserve(full);
  BlockHash parent = kNoParent;
  for (size_t i = 0; i < full; ++i) {
    parent = HashBlock(parent, tokens.subspan(i * block_size, block_size), extra);
    out.push_back(parent);
  }
  return out;
}

}  // namespace cacheopt
