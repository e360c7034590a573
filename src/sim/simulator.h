// The discrete-event simulator: replays a workload through the same engine
// the server uses, with a SimExecutor and a virtual clock. Deterministic: the
// same workload, cost model and options give byte-identical results.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "cacheopt/cost/cost_model.h"
#include "cacheopt/metrics/slo.h"
#include "cacheopt/metrics/summary.h"
#include "cacheopt/scheduler_config.h"
#include "cacheopt/scheduler_state.h"
#include "cacheopt/status.h"
#include "sim/workload.h"

namespace cacheopt {

// Several replicas behind a router (sim/cluster/cluster.h, docs/cluster-sim.md).
struct ClusterOptions {
  std::string router;  // "" = one engine, no router (Simulate's own path)
  int replicas = 1;
  uint64_t seed = 0;   // the router's random tie-breaks
};

struct SimulationOptions {
  std::string policy = "vllm";
  SchedulerConfig sched;          // pool sizes, block size, knobs
  SloOptions slo;                 // SLO defaults and --slo-scale
  SummaryOptions summary;
  bool check_invariants = false;  // after every step (tests, --check-invariants)
  std::ostream* steps_log = nullptr;  // one JSON line per step when set
  ClusterOptions cluster;
  // The model the SLO targets come from; null: the step-time model itself.
  // (real-experiment: a refit on the real server's solo steps.)
  const CostModel* slo_cost = nullptr;
  // The model the policy predicts with; null: the step-time model itself.
  // (real-experiment: the server's policy predicts with its online refit of
  // the executor's compute time, not with the engine loop's time that
  // clocks a simulated step.)
  const CostModel* policy_cost = nullptr;
};

// One replica of a cluster run.
struct ReplicaResult {
  int64_t routed = 0;    // requests the router sent it
  int64_t finished = 0;  // of those, served to the end (not rejected)
  int64_t steps = 0;
  double peak_kv_use = 0;
  int64_t prefix_query_tokens = 0, prefix_hit_tokens = 0;
};

struct SimulationResult {
  Summary summary;
  SchedulerCounters counters;
  int64_t steps = 0;
  double simulated_s = 0;  // virtual time at the end
  double peak_kv_use = 0;  // fraction of device blocks, at the fullest step
  // Device blocks in use, averaged over virtual time (idle time counts as 0):
  // the offered load's mean working set when the pool never fills.
  double mean_device_blocks = 0;
  // Prefix cache, for a policy running with it (counters above; these at the end).
  bool prefix_caching = false;
  int32_t cached_blocks_at_end = 0;
  int64_t evictions = 0;
  // A cluster run: each replica (empty for one engine). The fields above
  // then cover the cluster: counters summed (peak_device_used the largest),
  // peak_kv_use the fullest replica's, mean_device_blocks summed.
  std::vector<ReplicaResult> replicas;
  int64_t router_predicted_hit_blocks = 0;  // Router::predicted_hit_blocks
};

// With opts.cluster.router set, runs the cluster (SimulateCluster).
Result<SimulationResult> Simulate(const Workload& workload, const CostModel& cost,
                                  const SimulationOptions& opts);

}  // namespace cacheopt
