#include "core/kv/block_pool.h"

#include <cassert>

namespace cacheopt {

BlockPool::BlockPool(int32_t num_blocks) : owner_(num_blocks < 0 ? 0 : num_blocks, -1) {
  free_.reserve(owner_.size());
  // Block 0 on top: a fresh pool hands out 0, 1, 2, ...
  for (int32_t b = num_blocks - 1; b >= 0; --b) free_.push_back(b);
}

int32_t BlockPool::Allocate(int32_t owner_slot) {
  assert(!free_.empty());
  int32_t b = free_.back();
  free_.pop_back();
  assert(owner_[b] == -1);
  owner_[b] = owner_slot;
  return b;
}

void BlockPool::Free(int32_t block) {
  assert(block >= 0 && block < num_blocks() && owner_[block] != -1);
  owner_[block] = -1;
  free_.push_back(block);
}

}  // namespace cacheopt
