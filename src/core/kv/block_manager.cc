#include "core/kv/block_manager.h"

#include <algorithm>
#include <cassert>

namespace cacheopt {

BlockManager::BlockManager(int32_t device_blocks, int32_t host_blocks, int32_t block_size, bool prefix_caching)
    : block_size_(block_size),
      prefix_caching_(prefix_caching),
      device_(device_blocks),
      host_(host_blocks) {
  assert(block_size > 0);
  if (prefix_caching_) {
    const size_t n = static_cast<size_t>(device_.num_blocks());
    hash_.assign(n, kNoParent);
    ref_.assign(n, 0);
    lru_prev_.assign(n, -1);
    lru_next_.assign(n, -1);
  }
}


int32_t BlockManager::NewSlot() {
  int32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<int32_t>(tables_.size());
    tables_.emplace_back();
    slot_live_.push_back(0);
  }
  slot_live_[slot] = 1;
  ++live_slots_;
  return slot;
}

void BlockManager::ReleaseSlot(int32_t slot) {
  assert(slot_live_[slot]);
  FreeDevice(slot);
  FreeHost(slot);
  slot_live_[slot] = 0;
  --live_slots_;
  free_slots_.push_back(slot);
}

bool BlockManager::GrowDevice(int32_t slot, int64_t tokens) {
  int32_t need = DeviceBlocksToGrow(slot, tokens);
  if (need > device_free()) return false;
  auto& dev = tables_[slot].device;
  for (int32_t i = 0; i < need; ++i) dev.push_back(AllocateDevice(slot));
  return true;
}

int32_t BlockManager::AllocateDevice(int32_t slot) {
  if (device_.num_free() > 0) return device_.Allocate(slot);
  // Only cached blocks nobody holds are left: evict the least recently released.
  assert(lru_head_ >= 0);
  const int32_t b = lru_head_;
  LruRemove(b);
  cached_.erase(hash_[b]);
  if (on_event_) on_event_({KvCacheEvent::Kind::kBlockRemoved, hash_[b]});
  hash_[b] = kNoParent;
  device_.Reown(b, slot);
  ++evictions_;
  return b;
}

void BlockManager::FreeDevice(int32_t slot) {
  auto& dev = tables_[slot].device;
  // Free in reverse so the next allocation reuses blocks in their old order;
  // released cached blocks join the LRU tail in that order, so a request's
  // last blocks are evicted before its first (vLLM V1's free order).
  for (auto it = dev.rbegin(); it != dev.rend(); ++it) {
    const int32_t b = *it;
    if (prefix_caching_ && hash_[b] != kNoParent) {
      if (--ref_[b] == 0) LruPushBack(b);
    } else {
      device_.Free(b);
    }
  }
  dev.clear();
}

PrefixHit BlockManager::FindCachedPrefix(std::span<const BlockHash> hashes, int32_t max_blocks) const {
  PrefixHit hit;
  if (!prefix_caching_) return hit;
  const int32_t n = std::min<int32_t>(max_blocks, static_cast<int32_t>(hashes.size()));
  for (int32_t i = 0; i < n; ++i) {
    auto it = cached_.find(hashes[i]);
    if (it == cached_.end()) break;
    ++hit.blocks;
    if (ref_[it->second] == 0) ++hit.evictable;
  }
  return hit;
}

void BlockManager::AttachCached(int32_t slot, std::span<const BlockHash> hashes, int32_t n) {
  auto& dev = tables_[slot].device;
  assert(dev.empty());
  for (int32_t i = 0; i < n; ++i) {
    const int32_t b = cached_.at(hashes[i]);
    if (ref_[b]++ == 0) LruRemove(b);
    dev.push_back(b);
  }
}

void BlockManager::CacheBlocks(int32_t slot, std::span<const BlockHash> hashes, int32_t from, int32_t to) {
  auto& dev = tables_[slot].device;
  to = std::min({to, static_cast<int32_t>(dev.size()), static_cast<int32_t>(hashes.size())});
  for (int32_t i = from; i < to; ++i) {
    const int32_t b = dev[i];
    if (hash_[b] != kNoParent) continue;  // attached from the cache
    if (!cached_.emplace(hashes[i], b).second) continue;  // a twin holds it: stay private
    hash_[b] = hashes[i];
    ref_[b] = 1;
    device_.Reown(b, kCachedOwner);
    if (on_event_) on_event_({KvCacheEvent::Kind::kBlockStored, hashes[i]});
  }
}

int32_t BlockManager::holders(int32_t block) const {
  if (prefix_caching_ && hash_[block] != kNoParent) return ref_[block];
  return device_.owner(block) >= 0 ? 1 : 0;
}

void BlockManager::LruPushBack(int32_t b) {
  lru_prev_[b] = lru_tail_;
  lru_next_[b] = -1;
  if (lru_tail_ >= 0) lru_next_[lru_tail_] = b;
  else lru_head_ = b;
  lru_tail_ = b;
  ++lru_size_;
}

void BlockManager::LruRemove(int32_t b) {
  const int32_t p = lru_prev_[b], n = lru_next_[b];
  if (p >= 0) lru_next_[p] = n;
  else lru_head_ = n;
  if (n >= 0) lru_prev_[n] = p;
  else lru_tail_ = p;
  lru_prev_[b] = lru_next_[b] = -1;
  --lru_size_;
}

void BlockManager::FreeHost(int32_t slot) {
  auto& host = tables_[slot].host;
  for (auto it = host.rbegin(); it != host.rend(); ++it) host_.Free(*it);
  host.clear();
}

bool BlockManager::SwapOut(int32_t slot, std::vector<BlockCopy>* plan) {
  BlockTable& t = tables_[slot];
  assert(t.host.empty());
  if (static_cast<int32_t>(t.device.size()) > host_.num_free()) return false;
  for (int32_t d : t.device) {
    int32_t h = host_.Allocate(slot);
    t.host.push_back(h);
    plan->push_back({d, h});
  }
  FreeDevice(slot);
  return true;
}

bool BlockManager::SwapIn(int32_t slot, std::vector<BlockCopy>* plan) {
  BlockTable& t = tables_[slot];
  assert(t.device.empty());
  if (static_cast<int32_t>(t.host.size()) > device_free()) return false;
  for (int32_t h : t.host) {
    int32_t d = AllocateDevice(slot);
    t.device.push_back(d);
    plan->push_back({h, d});
  }
  FreeHost(slot);
  return true;
}

namespace {

Status CheckTier(const BlockPool& pool, const std::vector<BlockTable>& tables,
                 const std::vector<uint8_t>& live, bool device, const char* name, int32_t cached_total,
                 std::vector<int32_t>* occurrences) {
  std::vector<int32_t> seen(pool.num_blocks(), -1);
  occurrences->assign(pool.num_blocks(), 0);
  int64_t held = 0;
  for (size_t s = 0; s < tables.size(); ++s) {
    const auto& blocks = device ? tables[s].device : tables[s].host;
    if (!live[s] && !blocks.empty())
      return Status::OutOfRange(std::string(name) + ": released slot " + std::to_string(s) + " holds blocks");
    for (int32_t b : blocks) {
      if (b < 0 || b >= pool.num_blocks())
        return Status::OutOfRange(std::string(name) + ": block id out of range");
      ++(*occurrences)[b];
      if (pool.owner(b) == BlockManager::kCachedOwner) {
        // Shared through the prefix cache: counted once, below.
        if (seen[b] == static_cast<int32_t>(s))
          return Status::OutOfRange(std::string(name) + ": cached block " + std::to_string(b) +
                                    " twice in one table");
        seen[b] = static_cast<int32_t>(s);
        continue;
      }
      if (seen[b] != -1)
        return Status::OutOfRange(std::string(name) + ": block " + std::to_string(b) +
                                  " in two tables");
      seen[b] = static_cast<int32_t>(s);
      if (pool.owner(b) != static_cast<int32_t>(s))
        return Status::OutOfRange(std::string(name) + ": block " + std::to_string(b) +
                                  " owner mismatch");
      ++held;
    }
  }
  held += cached_total;
  if (held + pool.num_free() != pool.num_blocks())
    return Status::OutOfRange(std::string(name) + ": held " + std::to_string(held) + " + free " +
                              std::to_string(pool.num_free()) + " != total " +
                              std::to_string(pool.num_blocks()));
  for (int32_t b = 0; b < pool.num_blocks(); ++b)
    if (pool.owner(b) >= 0 && seen[b] == -1)
      return Status::OutOfRange(std::string(name) + ": block " + std::to_string(b) +
                                " owned but in no table");
  return Status::Ok();
}

}  // namespace

Status BlockManager::CheckInvariants() const {
  std::vector<int32_t> occurrences;
  Status s = CheckTier(device_, tables_, slot_live_, true, "device", cached_blocks(), &occurrences);
  if (!s.ok()) return s;
  if (prefix_caching_) {
    s = CheckCache();
    if (!s.ok()) return s;
    for (int32_t b = 0; b < device_.num_blocks(); ++b) {
      if (hash_[b] == kNoParent) continue;
      if (ref_[b] != occurrences[b])
        return Status::OutOfRange("device: cached block " + std::to_string(b) + " has " + std::to_string(ref_[b]) +
                                  " references but " + std::to_string(occurrences[b]) + " holders");
    }
  }
  return CheckTier(host_, tables_, slot_live_, false, "host", 0, &occurrences);
}

Status BlockManager::CheckCache() const {
  std::vector<uint8_t> in_lru(device_.num_blocks(), 0);
  int32_t n = 0;
  for (int32_t b = lru_head_, prev = -1; b >= 0; prev = b, b = lru_next_[b]) {
    if (in_lru[b] || lru_prev_[b] != prev) return Status::OutOfRange("device: the evictable list is broken");
    in_lru[b] = 1;
    ++n;
  }
  if (n != lru_size_) return Status::OutOfRange("device: evictable count " + std::to_string(lru_size_) + " != list " +
                                                std::to_string(n));
  int32_t cached = 0;
  for (int32_t b = 0; b < device_.num_blocks(); ++b) {
    const bool is_cached = hash_[b] != kNoParent;
    if (is_cached != (device_.owner(b) == kCachedOwner))
      return Status::OutOfRange("device: block " + std::to_string(b) + " hash and owner disagree");
    if (!is_cached) {
      if (in_lru[b]) return Status::OutOfRange("device: uncached block " + std::to_string(b) + " is evictable");
      continue;
    }
    ++cached;
    auto it = cached_.find(hash_[b]);
    if (it == cached_.end() || it->second != b)
      return Status::OutOfRange("device: cached block " + std::to_string(b) + " missing from the hash map");
    if ((ref_[b] == 0) != (in_lru[b] != 0))
      return Status::OutOfRange("device: cached block " + std::to_string(b) +
                                (ref_[b] == 0 ? " unheld but not evictable" : " held and evictable"));
  }
  if (cached != cached_blocks())
    return Status::OutOfRange("device: " + std::to_string(cached_blocks()) + " hashes for " + std::to_string(cached) +
                              " cached blocks");
  return Status::Ok();
}

}  // namespace cacheopt
