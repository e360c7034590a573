#include "core/kv/block_manager.h"

#include <cassert>


namespace cacheopt {

BlockManager::BlockManager(int32_t device_blocks, int32_t host_blocks, int32_t block_size)
    : block_size_(block_size),
      device_(device_blocks),
      host_(host_blocks) {
  assert(block_size > 0);
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
  if (need > device_.num_free()) return false;
  auto& dev = tables_[slot].device;
  for (int32_t i = 0; i < need; ++i) dev.push_back(device_.Allocate(slot));
  return true;
}

void BlockManager::FreeDevice(int32_t slot) {
  auto& dev = tables_[slot].device;
  // Free in reverse so the next allocation reuses blocks in their old order.
  for (auto it = dev.rbegin(); it != dev.rend(); ++it) device_.Free(*it);
  dev.clear();
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
  if (static_cast<int32_t>(t.host.size()) > device_.num_free()) return false;
  for (int32_t h : t.host) {
    int32_t d = device_.Allocate(slot);
    t.device.push_back(d);
    plan->push_back({h, d});
  }
  FreeHost(slot);
  return true;
}

namespace {

Status CheckTier(const BlockPool& pool, const std::vector<BlockTable>& tables,
                 const std::vector<uint8_t>& live, bool device, const char* name) {
  std::vector<int32_t> seen(pool.num_blocks(), -1);
  int64_t held = 0;
  for (size_t s = 0; s < tables.size(); ++s) {
    const auto& blocks = device ? tables[s].device : tables[s].host;
    if (!live[s] && !blocks.empty())
      return Status::OutOfRange(std::string(name) + ": released slot " + std::to_string(s) + " holds blocks");
    for (int32_t b : blocks) {
      if (b < 0 || b >= pool.num_blocks())
        return Status::OutOfRange(std::string(name) + ": block id out of range");
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
  if (held + pool.num_free() != pool.num_blocks())
    return Status::OutOfRange(std::string(name) + ": held " + std::to_string(held) + " + free " +
                              std::to_string(pool.num_free()) + " != total " +
                              std::to_string(pool.num_blocks()));
  for (int32_t b = 0; b < pool.num_blocks(); ++b)
    if (pool.owner(b) != -1 && seen[b] == -1)
      return Status::OutOfRange(std::string(name) + ": block " + std::to_string(b) +
                                " owned but in no table");
  return Status::Ok();
}

}  // namespace

Status BlockManager::CheckInvariants() const {
  Status s = CheckTier(device_, tables_, slot_live_, true, "device");
  if (!s.ok()) return s;
  return CheckTier(host_, tables_, slot_live_, false, "host");
}

}  // namespace cacheopt
