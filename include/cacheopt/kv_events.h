// Prefix-cache block events, as vLLM emits them for KV-aware routers
// (vllm/distributed/kv_events.py, v0.11.2: BlockStored, BlockRemoved,
// AllBlocksCleared). The core records them, I/O-free, while blocks enter and
// leave the device tier's prefix cache; a front end drains the log after each
// step and publishes it (the server: ZMQ, docs/kv-events.md) or feeds it to a
// simulated router. Nobody subscribed (no log set): nothing is recorded and
// the block manager pays one null check on the rare paths that cache or
// evict a block.
//
// What is recorded (the device tier only; the host tier caches nothing):
//   - BlockStored: a run of a request's full blocks newly registered in the
//     cache, in token order, with the hash of the block before the run
//     (kNoParent: the run starts the sequence). A block whose content is
//     cached already under another block stays private and is not stored.
//   - BlockRemoved: one cached block evicted to make room (one event per
//     block, as vLLM's BlockPool._maybe_evict_cached_block).
//   - AllBlocksCleared: the cache was reset (ResetPrefixCache).
// A swap to the host tier emits nothing: the device blocks it copies are
// released, cached ones stay cached (and evictable) on the device; the host
// copies are private and never matched, so a router must not count them.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "cacheopt/block_hash.h"

namespace cacheopt {

class Scheduler;  // private to the core (scheduler_state.h)

enum class KvEventKind : uint8_t { kBlockStored, kBlockRemoved, kAllBlocksCleared };

// Where the blocks live: vLLM's medium strings ("GPU" is MEDIUM_GPU; "CPU" is
// what its CPU offloading tier reports). Ours records only kGpu: the device tier.
enum class KvMedium : uint8_t { kGpu, kCpu };
constexpr std::string_view ToString(KvMedium m) { return m == KvMedium::kGpu ? "GPU" : "CPU"; }

struct KvEvent {
  KvEventKind kind = KvEventKind::kBlockStored;
  KvMedium medium = KvMedium::kGpu;
  std::vector<BlockHash> block_hashes;  // Stored, Removed
  // BlockStored only.
  BlockHash parent = kNoParent;  // hash of the block before the first; kNoParent: none (vLLM's None)
  int32_t block_size = 0;
  int64_t request_id = -1;  // whose blocks (the scheduler's request id)
  int32_t first_block = 0;  // the run covers tokens [first_block * block_size, + size * block_size)
  // The run's token ids: empty as the core records it (it never sees tokens);
  // a front end that knows them (the real engine) fills them in.
  std::vector<int32_t> token_ids;
  int64_t lora_id = -1;  // -1: none (vLLM's None); no adapters are served yet
};

// The events since the last Take, in the order they happened.
class KvEventLog {
 public:
  // Core side. Whose blocks the next Stored calls record.
  void set_owner(int64_t request_id) { owner_ = request_id; }
  // Block `index` of the owner's sequence, hash `hash` after `parent`, is
  // now cached: extends the last event when it is the same owner's
  // preceding block, else starts a BlockStored.
  void Stored(int32_t index, BlockHash parent, BlockHash hash, int32_t block_size);
  void Removed(BlockHash hash);
  void Cleared();

  // Front end side.
  bool empty() const { return events_.empty(); }
  std::vector<KvEvent>& events() { return events_; }
  std::vector<KvEvent> Take() { return std::exchange(events_, {}); }

 private:
  std::vector<KvEvent> events_;
  int64_t owner_ = -1;
};

// Records `s`'s prefix-cache events into `log` from now on (null: stop).
// `log` outlives the recording.
void RecordKvEvents(Scheduler& s, KvEventLog* log);

// Empties the device tier's prefix cache (vLLM's reset_prefix_cache): only
// when no request holds a device block, as vLLM refuses while any block is
// in use; records AllBlocksCleared. False and no change otherwise (also
// when the policy does not cache).
bool ResetPrefixCache(Scheduler& s);

}  // namespace cacheopt
