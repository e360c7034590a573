#include "sim/prefix_hashes.h"

#include <algorithm>
#include <string>

#include "trace/trace.h"

namespace cacheopt {

bool DividesPrefixBlock(int32_t block_size) { return block_size > 0 && kPrefixBlockTokens % block_size == 0; }

Result<std::vector<BlockHash>> PrefixBlockHashes(std::span<const int64_t> ids, int32_t prompt_tokens,
                                                 int32_t block_size) {
  if (!DividesPrefixBlock(block_size)) {
    std::string sizes;
    for (int32_t b = 1; b <= kPrefixBlockTokens; b *= 2) sizes += (sizes.empty() ? "" : ", ") + std::to_string(b);
    return Status::InvalidArgument("block size " + std::to_string(block_size) + " does not divide the trace's " +
                                   std::to_string(kPrefixBlockTokens) + "-token prefix blocks (hash_ids); use one of " +
                                   sizes);
  }
  const int32_t per_id = kPrefixBlockTokens / block_size;
  std::vector<BlockHash> out;
  out.reserve(static_cast<size_t>(prompt_tokens / block_size));
  BlockHash parent = kNoParent;
  for (size_t k = 0; k < ids.size(); ++k) {
    const int64_t start = static_cast<int64_t>(k) * kPrefixBlockTokens;
    const int32_t covered = static_cast<int32_t>(std::min<int64_t>(kPrefixBlockTokens, prompt_tokens - start));
    if (covered <= 0) break;
    for (int32_t j = 0; j < per_id && (j + 1) * block_size <= covered; ++j) {
      // The stand-in "tokens" of sub-block j: the id's two halves, j, coverage.
      const int32_t key[4] = {static_cast<int32_t>(ids[k] & 0xffffffff), static_cast<int32_t>(ids[k] >> 32), j,
                              covered};
      parent = HashBlock(parent, key);
      out.push_back(parent);
    }
    if (covered < kPrefixBlockTokens) break;
  }
  return out;
}

}  // namespace cacheopt
