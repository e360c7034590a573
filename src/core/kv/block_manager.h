// Paged KV accounting over two tiers: a device tier the model reads and a
// bounded host tier that swapped-out requests park in. Each request that holds
// KV owns a slot with one block table per tier. Swap plans name the concrete
// blocks copied, so a real executor can perform exactly those copies.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cacheopt/block_hash.h"
#include "cacheopt/kv_cache_event.h"
#include "cacheopt/scheduler_output.h"
#include "cacheopt/status.h"
#include "core/kv/block_pool.h"

namespace cacheopt {

struct BlockTable {
  std::vector<int32_t> device;
  std::vector<int32_t> host;
};

// The longest run of a request's leading full blocks found in the prefix
// cache: how many, and how many of those no request holds now (they count
// as free until taken).
struct PrefixHit {
  int32_t blocks = 0;
  int32_t evictable = 0;
};

// Device-tier prefix cache (prefix_caching on): a full block whose content
// hash is known is owned by the cache (pool owner kCachedOwner) and counted
// by reference, once per block table holding it. When nobody holds it, it
// stays cached in an LRU list and counts as free; a fresh block comes from
// the truly free blocks first, and only then by evicting the least recently
// released cached block. The host tier caches nothing.
class BlockManager {
 public:
  static constexpr int32_t kCachedOwner = -2;

  BlockManager(int32_t device_blocks, int32_t host_blocks, int32_t block_size, bool prefix_caching = false);
  BlockManager(const BlockManager&) = delete;
  BlockManager& operator=(const BlockManager&) = delete;

  int32_t block_size() const { return block_size_; }
  int32_t BlocksFor(int64_t tokens) const {
    return static_cast<int32_t>((tokens + block_size_ - 1) / block_size_);
  }
  int32_t device_total() const { return device_.num_blocks(); }
  // Free device blocks, counting cached blocks that nobody holds.
  int32_t device_free() const { return device_.num_free() + lru_size_; }
  int32_t host_total() const { return host_.num_blocks(); }
  int32_t host_free() const { return host_.num_free(); }

  // A slot holds one request's block tables. Slots are recycled.
  int32_t NewSlot();
  void ReleaseSlot(int32_t slot);  // frees both tiers' blocks first
  // Slots taken and not released: one per request holding KV.
  int32_t live_slots() const { return live_slots_; }
  const BlockTable& table(int32_t slot) const { return tables_[slot]; }

  // Device blocks `slot` must add to hold `tokens` tokens (0 if it already can).
  int32_t DeviceBlocksToGrow(int32_t slot, int64_t tokens) const {
    int64_t held = static_cast<int64_t>(tables_[slot].device.size());
    // Most calls are decodes that still fit: skip the division (hot path).
    if (tokens <= held * block_size_) return 0;
    return BlocksFor(tokens) - static_cast<int32_t>(held);
  }
  // Grows the device table to hold `tokens`; false (and no change) if the
  // device tier lacks the blocks.
  bool GrowDevice(int32_t slot, int64_t tokens);
  void FreeDevice(int32_t slot);
  void FreeHost(int32_t slot);

  // Moves every device block of `slot` to fresh host blocks, appending the
  // copies to `plan` and freeing the device blocks (reusable at once, as in
  // vLLM). False and no change when the host tier lacks room.
  bool SwapOut(int32_t slot, std::vector<BlockCopy>* plan);
  // The reverse; false and no change when the device tier lacks room.
  bool SwapIn(int32_t slot, std::vector<BlockCopy>* plan);

  // Prefix cache. The leading blocks of `hashes` found cached, at most
  // `max_blocks` of them.
  bool prefix_caching() const { return prefix_caching_; }
  PrefixHit FindCachedPrefix(std::span<const BlockHash> hashes, int32_t max_blocks) const;
  // Puts the first `n` cached blocks of `hashes` (found by FindCachedPrefix)
  // at the start of `slot`'s empty device table.
  void AttachCached(int32_t slot, std::span<const BlockHash> hashes, int32_t n);
  // Offers `slot`'s device blocks [from, to) to the cache under `hashes`
  // (their contents now computed). A hash already cached under another block
  // leaves this one private.
  void CacheBlocks(int32_t slot, std::span<const BlockHash> hashes, int32_t from, int32_t to);
  int32_t cached_blocks() const { return static_cast<int32_t>(cached_.size()); }  // held or not
  // Tokens of a request's first `offered` blocks (Request::cached_blocks)
  // that stay cached if it leaves: a recompute skips them. 0 when off.
  int32_t StaysCachedTokens(int32_t offered) const { return prefix_caching_ ? offered * block_size_ : 0; }
  int32_t evictable_blocks() const { return lru_size_; }
  int64_t evictions() const { return evictions_; }
  // Holders of a device block: tables it is in (1 for a private block, 0 free).
  int32_t holders(int32_t block) const;
  // Told of every block the cache stores or evicts (SchedulerConfig::kv_events).
  void set_event_hook(KvCacheEventHook hook) { on_event_ = std::move(hook); }

  // held + free = total per tier; every table's blocks owned by that slot, no
  // block in two tables; every owned block is in its owner's table. With the
  // prefix cache: a cached block's reference count equals the tables holding
  // it, it is evictable exactly when that is zero, and the hash map agrees.
  Status CheckInvariants() const;

 private:
  // A fresh device block for `slot`: truly free first, else evict the LRU head.
  int32_t AllocateDevice(int32_t slot);
  void LruPushBack(int32_t b);
  void LruRemove(int32_t b);
  Status CheckCache() const;

  int32_t block_size_;
  bool prefix_caching_;
  BlockPool device_;
  BlockPool host_;
  std::vector<BlockTable> tables_;
  std::vector<int32_t> free_slots_;
  std::vector<uint8_t> slot_live_;
  int32_t live_slots_ = 0;

  // Prefix cache state, per device block (sized only when it is on).
  std::vector<BlockHash> hash_;  // kNoParent: not cached
  std::vector<int32_t> ref_;     // tables holding a cached block
  std::vector<int32_t> lru_prev_, lru_next_;  // evictable list, -1 ends
  int32_t lru_head_ = -1, lru_tail_ = -1, lru_size_ = 0;
  std::unordered_map<BlockHash, int32_t> cached_;  // hash -> block
  int64_t evictions_ = 0;
  KvCacheEventHook on_event_;
};

}  // namespace cacheopt
