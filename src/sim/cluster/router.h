// The front of a simulated cluster: a router picks a replica for each
// arriving request, deciding as the real router it models does and seeing
// only what that router sees: the request itself (its prompt, as block
// hashes), the responses it relayed, metrics scraped at its own refresh
// interval, and the replicas' KV events. Never the simulator's internals.
// docs/cluster-sim.md lists each router with its upstream source.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cacheopt/block_hash.h"
#include "cacheopt/status.h"

namespace cacheopt {

// What a router reads from a request: its id and prompt. The prompt's
// content is given as the chained hashes of its full blocks of
// `block_size` tokens (what hashing the prompt text in blocks yields; empty
// for a trace that records no prompt content).
// One block entering or leaving a replica's prefix cache, as a router reads
// it from that replica's KV events (cacheopt/kv_events.h: a BlockStored run
// or BlockRemoved list, one entry a block; AllBlocksCleared drops them all).
struct KvCacheEvent {
  enum class Kind : int8_t { kBlockStored, kBlockRemoved, kAllCleared };
  Kind kind = Kind::kBlockStored;
  BlockHash hash = kNoParent;
};

struct RouteRequest {
  int64_t id = 0;
  int32_t prompt_tokens = 0;
  std::span<const BlockHash> block_hashes;
};

// One scrape of a replica's /metrics (the model-server protocol's gauges):
// vllm:num_requests_waiting, vllm:num_requests_running, vllm:kv_cache_usage_perc.
struct ScrapedMetrics {
  int64_t waiting = 0;
  int64_t running = 0;
  double kv_use = 0;  // 0..1
};

class Router {
 public:
  virtual ~Router() = default;
  virtual std::string_view name() const = 0;

  // Seconds between scrapes of every replica's metrics (or agent checks);
  // 0: the router reads none.
  virtual double scrape_interval_s() const { return 0; }
  // Whether it subscribes to the replicas' KV events.
  virtual bool wants_kv_events() const { return false; }

  // A scrape's answer, for each replica in turn, every scrape_interval_s.
  virtual void OnScrape(int /*replica*/, const ScrapedMetrics& /*m*/) {}
  // A KV event a replica published (after the step that caused it).
  virtual void OnKvEvent(int /*replica*/, const KvCacheEvent& /*e*/) {}
  // The response of a request it sent to `replica` has ended.
  virtual void OnResponseDone(int /*replica*/, int64_t /*request_id*/) {}

  // The replica (0..replicas-1) for `r`; the router records the dispatch.
  virtual int Pick(const RouteRequest& r) = 0;

  // Prompt blocks the router believed the picked replica held, summed over
  // its picks: the prefix hits it predicts (0 for routers blind to prefixes).
  int64_t predicted_hit_blocks() const { return predicted_hit_blocks_; }

 protected:
  int64_t predicted_hit_blocks_ = 0;
};

// The precise router keeps each block's holders as bits of one word.
inline constexpr int kMaxReplicas = 64;

// A router by name with optional knobs, "NAME[:KEY=VALUE,...]". `seed`
// drives random tie-breaks (the inference extension's picker shuffles).
Result<std::unique_ptr<Router>> MakeRouter(std::string_view spec, int replicas, uint64_t seed);
std::vector<std::string> RouterNames();

// The routers (router_*.cc). Knobs are parsed by MakeRouter.
std::unique_ptr<Router> MakeRoundRobinRouter(int replicas);
std::unique_ptr<Router> MakeLeastRequestsRouter(int replicas);
std::unique_ptr<Router> MakeLeastconnRouter(int replicas, double agent_inter_s);
struct ScorerWeights {
  double queue = 0, kv = 0, prefix = 0;
};
// The inference extension's default profile: queue, KV use and approximate
// prefix affinity from its own record of where it sent each prompt.
std::unique_ptr<Router> MakeInferenceExtensionRouter(int replicas, uint64_t seed, ScorerWeights w,
                                                     double refresh_s, int32_t max_prefix_blocks,
                                                     int64_t lru_capacity_per_replica);
// The same scorers with precise prefix affinity from the replicas' KV events.
std::unique_ptr<Router> MakePrecisePrefixRouter(int replicas, uint64_t seed, ScorerWeights w, double refresh_s,
                                                int32_t max_prefix_blocks);

}  // namespace cacheopt
