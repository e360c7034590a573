// Real KV-cache storage for the two tiers the BlockManager accounts for. A
// block holds, for every layer, K and V of `block_size` positions. Layout
// [block][layer][k|v][kv_head][pos][head_size]: one head's keys in a block are
// contiguous, which is what attention streams through; a whole block is one
// contiguous span, so a swap copy is one memcpy.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>

#include "model/model.h"

namespace cacheopt {

enum class KvTier : int8_t { kDevice, kHost };

class KvArena {
 public:
  KvArena(const ModelConfig& config, int32_t block_size, int32_t device_blocks, int32_t host_blocks);

  // Bytes one block takes, for callers that size the tiers by memory.
  static int64_t BlockBytes(const ModelConfig& config, int32_t block_size);

  int32_t block_size() const { return block_size_; }
  int32_t num_blocks(KvTier t) const { return t == KvTier::kDevice ? device_blocks_ : host_blocks_; }

  // [block_size][head_size] keys (values) of one kv head of one layer.
  float* Keys(KvTier t, int32_t block, int32_t layer, int32_t kv_head) {
    return Base(t, block) + Offset(layer, 0, kv_head);
  }
  float* Values(KvTier t, int32_t block, int32_t layer, int32_t kv_head) {
    return Base(t, block) + Offset(layer, 1, kv_head);
  }
  const float* Keys(KvTier t, int32_t block, int32_t layer, int32_t kv_head) const {
    return const_cast<KvArena*>(this)->Keys(t, block, layer, kv_head);
  }
  const float* Values(KvTier t, int32_t block, int32_t layer, int32_t kv_head) const {
    return const_cast<KvArena*>(this)->Values(t, block, layer, kv_head);
  }

  // Copies a whole block (every layer, K and V) between or within tiers.
  void CopyBlock(KvTier from, int32_t src, KvTier to, int32_t dst);
  int64_t blocks_copied() const { return blocks_copied_; }

 private:
  struct FreeDeleter {
    void operator()(float* p) const { std::free(p); }
  };
  float* Base(KvTier t, int32_t block);
  int64_t Offset(int32_t layer, int32_t kv, int32_t kv_head) const {
    return ((static_cast<int64_t>(layer) * 2 + kv) * n_kv_heads_ + kv_head) * block_size_ * head_size_;
  }

  int32_t block_size_;
  int32_t n_kv_heads_;
  int32_t head_size_;
  int64_t block_floats_;
  int32_t device_blocks_;
  int32_t host_blocks_;
  // calloc: zeroed pages the OS maps lazily, so a large host tier costs
  // memory only as it is used.
  std::unique_ptr<float, FreeDeleter> device_;
  std::unique_ptr<float, FreeDeleter> host_;
  int64_t blocks_copied_ = 0;
};

}  // namespace cacheopt
