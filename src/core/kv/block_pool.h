// One tier's fixed set of KV blocks. Free blocks come from a stack, so the
// order blocks are handed out is a pure function of the call history
// (deterministic simulation), and allocate/free are O(1).
#pragma once

#include <cstdint>
#include <vector>

namespace cacheopt {

class BlockPool {
 public:
  explicit BlockPool(int32_t num_blocks);

  int32_t num_blocks() const { return static_cast<int32_t>(owner_.size()); }
  int32_t num_free() const { return static_cast<int32_t>(free_.size()); }
  int32_t num_used() const { return num_blocks() - num_free(); }

  // Takes a free block and records `owner_slot` as its owner. Pool must not be empty.
  int32_t Allocate(int32_t owner_slot);
  void Free(int32_t block);

  // Owner slot of a block, or -1 when free.
  int32_t owner(int32_t block) const { return owner_[block]; }
  // Hands a taken block to another owner (the prefix cache, kCachedOwner).
  void Reown(int32_t block, int32_t owner) { owner_[block] = owner; }

 private:
  std::vector<int32_t> free_;   // stack; back() is handed out next
  std::vector<int32_t> owner_;  // per block: owning slot or -1
};

}  // namespace cacheopt
