// Changes of the device prefix cache, as vLLM's KV events report them
// (vllm/distributed/kv_events.py: BlockStored, BlockRemoved): a full block
// entering the cache under its hash, and a cached block evicted. A front end
// that publishes them (the server's ZMQ socket) or feeds a router's index
// (the simulated cluster) sets SchedulerConfig::kv_events; the core calls it
// synchronously, in order, from inside the step that changed the cache.
#pragma once

#include <cstdint>
#include <functional>

#include "cacheopt/block_hash.h"

namespace cacheopt {

struct KvCacheEvent {
  enum class Kind : int8_t { kBlockStored, kBlockRemoved };
  Kind kind = Kind::kBlockStored;
  BlockHash hash = kNoParent;
};

using KvCacheEventHook = std::function<void(const KvCacheEvent&)>;

}  // namespace cacheopt
