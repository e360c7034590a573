#include "cacheopt/kv_events.h"

namespace cacheopt {

void KvEventLog::Stored(int32_t index, BlockHash parent, BlockHash hash, int32_t block_size) {
  if (!events_.empty()) {
    KvEvent& last = events_.back();
    // One event per contiguous run of one request's blocks, as vLLM's
    // cache_full_blocks emits one per request and step.
    if (last.kind == KvEventKind::kBlockStored && last.request_id == owner_ && last.block_size == block_size &&
        last.first_block + static_cast<int32_t>(last.block_hashes.size()) == index) {
      last.block_hashes.push_back(hash);
      return;
    }
  }
  KvEvent& e = events_.emplace_back();
  e.kind = KvEventKind::kBlockStored;
  e.block_hashes.push_back(hash);
  e.parent = parent;
  e.block_size = block_size;
  e.request_id = owner_;
  e.first_block = index;
}

void KvEventLog::Removed(BlockHash hash) {
  KvEvent& e = events_.emplace_back();
  e.kind = KvEventKind::kBlockRemoved;
  e.block_hashes.push_back(hash);
}

void KvEventLog::Cleared() {
  KvEvent& e = events_.emplace_back();
  e.kind = KvEventKind::kAllBlocksCleared;
}

}  // namespace cacheopt
