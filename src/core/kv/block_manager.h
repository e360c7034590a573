// Paged KV accounting over two tiers: a device tier the model reads and a
// bounded host tier that swapped-out requests park in. Each request that holds
// KV owns a slot with one block table per tier. Swap plans name the concrete
// blocks copied, so a real executor can perform exactly those copies.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cacheopt/scheduler_output.h"
#include "cacheopt/status.h"
#include "core/kv/block_pool.h"

namespace cacheopt {

struct BlockTable {
  std::vector<int32_t> device;
  std::vector<int32_t> host;
};

class BlockManager {
 public:
  BlockManager(int32_t device_blocks, int32_t host_blocks, int32_t block_size);
  BlockManager(const BlockManager&) = delete;
  BlockManager& operator=(const BlockManager&) = delete;

  int32_t block_size() const { return block_size_; }
  int32_t BlocksFor(int64_t tokens) const {
    return static_cast<int32_t>((tokens + block_size_ - 1) / block_size_);
  }
  int32_t device_total() const { return device_.num_blocks(); }
  int32_t device_free() const { return device_.num_free(); }
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

  // held + free = total per tier; every table's blocks owned by that slot, no
  // block in two tables; every owned block is in its owner's table.
  Status CheckInvariants() const;

 private:
  int32_t block_size_;
  BlockPool device_;
  BlockPool host_;
  std::vector<BlockTable> tables_;
  std::vector<int32_t> free_slots_;
  std::vector<uint8_t> slot_live_;
  int32_t live_slots_ = 0;
};

}  // namespace cacheopt
