#include "sim/prefix_hashes.h"

#include <algorithm>
#include <string>

#include "trace/trace.h"

namespace cacheopt {

namespace {

// Block sizes that work with `unit`-token prefix ids: its divisors and multiples.
bool FitsPrefixUnit(int32_t block_size, int32_t unit) {
  return block_size > 0 && unit > 0 && (unit % block_size == 0 || block_size % unit == 0);
}

}  // namespace

Result<std::vector<BlockHash>> PrefixBlockHashes(std::span<const int64_t> ids, int32_t prompt_tokens,
                                                 int32_t block_size, int32_t unit) {
  if (!FitsPrefixUnit(block_size, unit)) {
    std::string sizes;
    for (int32_t b = 1; b <= unit; b *= 2)
      if (unit % b == 0) sizes += (sizes.empty() ? "" : ", ") + std::to_string(b);
    return Status::InvalidArgument("block size " + std::to_string(block_size) + " does not divide the trace's " +
                                   std::to_string(unit) + "-token prefix blocks (hash_ids) nor is a multiple of "
                                   "them; use one of " + sizes + " or a multiple of " + std::to_string(unit));
  }
  std::vector<BlockHash> out;
  out.reserve(static_cast<size_t>(prompt_tokens / block_size));
  BlockHash parent = kNoParent;
  auto half = [](int64_t id, int hi) { return static_cast<int32_t>(hi ? id >> 32 : id & 0xffffffff); };
  if (block_size <= unit) {
    const int32_t per_id = unit / block_size;
    for (size_t k = 0; k < ids.size(); ++k) {
      const int64_t start = static_cast<int64_t>(k) * unit;
      const int32_t covered = static_cast<int32_t>(std::min<int64_t>(unit, prompt_tokens - start));
      if (covered <= 0) break;
      for (int32_t j = 0; j < per_id && (j + 1) * block_size <= covered; ++j) {
        // The stand-in "tokens" of sub-block j: the id's two halves, j, coverage.
        const int32_t key[4] = {half(ids[k], 0), half(ids[k], 1), j, covered};
        parent = HashBlock(parent, key);
        out.push_back(parent);
      }
      if (covered < unit) break;
    }
    return out;
  }
  // A block spans `per_block` whole ids.
  const size_t per_block = static_cast<size_t>(block_size / unit);
  const size_t full_blocks = static_cast<size_t>(prompt_tokens / block_size);
  std::vector<int32_t> key(2 * per_block);
  for (size_t b = 0; b < full_blocks && (b + 1) * per_block <= ids.size(); ++b) {
    for (size_t i = 0; i < per_block; ++i) {
      key[2 * i] = half(ids[b * per_block + i], 0);
      key[2 * i + 1] = half(ids[b * per_block + i], 1);
    }
    parent = HashBlock(parent, key);
    out.push_back(parent);
  }
  return out;
}

Result<std::vector<BlockHash>> SequenceBlockHashes(std::span<const int64_t> ids, bool ids_cover_output,
                                                   int32_t prompt_tokens, int32_t output_tokens, int32_t block_size,
                                                   int32_t unit, int64_t request_id) {
  const int64_t total = static_cast<int64_t>(prompt_tokens) + std::max(0, output_tokens);
  const int32_t tokens = static_cast<int32_t>(std::min<int64_t>(total, INT32_MAX));
  if (ids_cover_output) return PrefixBlockHashes(ids, tokens, block_size, unit);
  auto hashes = PrefixBlockHashes(ids, prompt_tokens, block_size, unit);
  if (!hashes.ok()) return hashes;
  std::vector<BlockHash>& out = *hashes;
  // The chain stops where the prompt's ids stop covering it.
  if (out.size() != static_cast<size_t>(prompt_tokens / block_size)) return hashes;
  BlockHash parent = out.empty() ? kNoParent : out.back();
  auto half = [](int64_t v, int hi) { return static_cast<int32_t>(hi ? v >> 32 : v & 0xffffffff); };
  for (int32_t b = prompt_tokens / block_size; b < tokens / block_size; ++b) {
    // Five keys: no trace-derived block (four keys, or an even count) has as many.
    const int32_t key[5] = {-1, half(request_id, 0), half(request_id, 1), b, block_size};
    parent = HashBlock(parent, key);
    out.push_back(parent);
  }
  return hashes;
}

}  // namespace cacheopt
