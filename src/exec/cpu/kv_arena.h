// Real KV-cache storage for the two tiers the BlockManager accounts for. A
// block holds, for every layer, K and V of `block_size` positions. Layout
// [block][layer][k|v][kv_head][pos][head_size]: one head's keys in a block are
// contiguous, which is what attention streams through; a whole block is one
// contiguous span, so a swap copy is one memcpy.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "model/model.h"

namespace cacheopt {

enum class KvTier : int8_t { kDevice, kHost };

// How K and V rows (one kv head at one position: head_size values) are kept.
// Every form is a pure function of the row, so attention stays deterministic
// and batch-invariant; reads widen rows back to fp32.
enum class KvDtype : int8_t {
  kF32,  // as computed
  kF16,  // IEEE half, round to nearest even
  kQ8,   // int8 with one fp32 scale per row (amax / 127), as llama.cpp's q8_0 cache but per row
};
// "f32", "f16", "q8"; and back (nullopt for anything else).
const char* KvDtypeName(KvDtype d);
std::optional<KvDtype> KvDtypeFromName(const std::string& name);
// Bytes of one row of `head_size` values.
int64_t KvRowBytes(KvDtype d, int32_t head_size);

class KvArena {
 public:
  KvArena(const ModelConfig& config, int32_t block_size, int32_t device_blocks, int32_t host_blocks,
          KvDtype dtype = KvDtype::kF32);

  // Bytes one block takes, for callers that size the tiers by memory.
  static int64_t BlockBytes(const ModelConfig& config, int32_t block_size, KvDtype dtype = KvDtype::kF32);

  KvDtype dtype() const { return dtype_; }
  // Row `slot` of one kv head's keys (kv 0) or values (kv 1) of a block:
  // stored from / widened into head_size floats (any dtype).
  void StoreRow(KvTier t, int32_t block, int32_t layer, int32_t kv, int32_t kv_head, int32_t slot, const float* src);
  void LoadRows(KvTier t, int32_t block, int32_t layer, int32_t kv, int32_t kv_head, int32_t slots, float* dst) const;

  int32_t block_size() const { return block_size_; }
  int32_t num_blocks(KvTier t) const { return t == KvTier::kDevice ? device_blocks_ : host_blocks_; }

  // [block_size][head_size] keys (values) of one kv head of one layer, in
  // place: an f32 arena only.
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
    void operator()(uint8_t* p) const { std::free(p); }
  };
  float* Base(KvTier t, int32_t block);
  uint8_t* BaseBytes(KvTier t, int32_t block);
  // In rows: the first row of (layer, kv, kv_head) in a block.
  int64_t Offset(int32_t layer, int32_t kv, int32_t kv_head) const {
    return ((static_cast<int64_t>(layer) * 2 + kv) * n_kv_heads_ + kv_head) * block_size_ * head_size_;
  }
  int64_t RowIndex(int32_t layer, int32_t kv, int32_t kv_head, int32_t slot) const {
    return ((static_cast<int64_t>(layer) * 2 + kv) * n_kv_heads_ + kv_head) * block_size_ + slot;
  }

  int32_t block_size_;
  int32_t n_kv_heads_;
  int32_t head_size_;
  KvDtype dtype_;
  int64_t row_bytes_;
  int64_t block_bytes_;
  int32_t device_blocks_;
  int32_t host_blocks_;
  // calloc: zeroed pages the OS maps lazily, so a large host tier costs
  // memory only as it is used.
  std::unique_ptr<uint8_t, FreeDeleter> device_;
  std::unique_ptr<uint8_t, FreeDeleter> host_;
  int64_t blocks_copied_ = 0;
};

}  // namespace cacheopt
