// What a front end reads of a scheduler, and how it holds one, without its
// internals (core/sched stays private to the core): queue depths, the two KV
// tiers, the reservation gauges and the counters, as a copied snapshot.
#pragma once

#include <cstdint>
#include <memory>

namespace cacheopt {

class Scheduler;  // private to the core; built by MakeScheduler

// Deletes a scheduler where its type is complete (the core), so a front end
// can own one through SchedulerPtr seeing only this header.
struct SchedulerDeleter {
  void operator()(Scheduler* s) const;
};
using SchedulerPtr = std::unique_ptr<Scheduler, SchedulerDeleter>;

struct SchedulerCounters {
  int64_t preemptions_recompute = 0;
  int64_t preemptions_swap = 0;
  int64_t recomputed_tokens = 0;
  int64_t swapped_out_blocks = 0;
  int64_t swapped_in_blocks = 0;
  int64_t rejected = 0;
  int32_t peak_device_used = 0;  // blocks
  // Prefix cache (vLLM V1's prefix_cache_queries / _hits): prompt plus
  // output tokens of each admission that looked the cache up, and the
  // tokens it found cached.
  int64_t prefix_query_tokens = 0;
  int64_t prefix_hit_tokens = 0;
  // The same in blocks: full blocks with a known hash that could have hit
  // (at most the tokens less one), and those that did.
  int64_t prefix_query_blocks = 0;
  int64_t prefix_hit_blocks = 0;
};

// Blocks per KV tier.
struct KvTiers {
  int32_t device_total = 0, device_free = 0;  // free counts cached blocks nobody holds
  int32_t host_total = 0, host_free = 0;

  int32_t device_used() const { return device_total - device_free; }
  int32_t host_used() const { return host_total - host_free; }
};

struct SchedulerState {
  int64_t waiting = 0, running = 0, swapped = 0;  // requests per queue
  KvTiers kv;
  // Reservation-based policies' gauges (0 for the others): blocks lent out
  // of other requests' unused reservations (C2), and blocks of the global
  // reserve in physical use (C3).
  int64_t lent_blocks = 0, reserve_blocks_in_use = 0;
  // Prefix cache: device blocks cached (held or not), of those evictable,
  // and cached blocks evicted so far.
  int32_t cached_blocks = 0, evictable_blocks = 0;
  int64_t evictions = 0;
  SchedulerCounters counters;
};

// Snapshots of `s` now. KvTiersOf is cheap (a simulator reads it every
// step); StateOf walks the queues for the reservation gauges.
KvTiers KvTiersOf(const Scheduler& s);
SchedulerState StateOf(const Scheduler& s);

}  // namespace cacheopt
