// The engine soak (`cacheopt soak`, docs/soak.md): random episodes cycling
// through every registered policy and its variants until the total number
// of scheduler steps reaches a target, every step checked. Deterministic: the
// same options give the same summary (the wall-clock timings aside).
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "cacheopt/status.h"
#include "soak/soak_episode.h"

namespace cacheopt::soak {

struct SoakOptions {
  int64_t steps = 1'000'000;          // run episodes until this many steps
  uint64_t seed = 1;
  std::vector<std::string> policies;  // empty: every registered policy
  DrawLimits limits;
  // The simulated hardware of the SimExecutor episodes: the simulator's default.
  std::string model = "llama-2-7b";
  std::string gpu = "a100-40g";
  int64_t replay_episode = -1;        // >= 0: run only this episode
  std::ostream* trace = nullptr;      // replay: one line per step
  std::ostream* episode_log = nullptr;  // one line per episode
  size_t max_violations_kept = 20;
  int64_t max_steps_per_episode = 20'000'000;
  SchedulerFactory make_scheduler;    // empty: the registry (tests inject faults)
};

// Totals over a set of episodes.
struct Tally {
  int64_t episodes = 0;
  int64_t steps = 0;
  int64_t executed_steps = 0;
  int64_t requests = 0;
  int64_t finished = 0;
  int64_t rejected = 0;
  int64_t rejected_pool = 0;
  int64_t rejected_budget = 0;
  int64_t preemptions_recompute = 0;
  int64_t preemptions_swap = 0;
  int64_t swapped_out_blocks = 0;
  int64_t swapped_in_blocks = 0;
  int64_t prefix_hit_tokens = 0;
  int64_t evictions = 0;
  int64_t output_tokens = 0;
  int64_t over_budget_steps = 0;
  int64_t violations = 0;
  void Add(const EpisodeResult& r);
};

struct Violation {
  int64_t episode = 0;
  uint64_t seed = 0;
  std::string description;  // Describe(episode)
  int64_t step = -1;        // -1: found by the end-of-episode checks
  std::string message;
  std::string replay;       // the command that reruns this episode alone
};

// Wall time of the invariant check by pool size (device + host blocks).
struct CheckTimingBucket {
  int32_t min_blocks = 0;
  int32_t max_blocks = 0;  // exclusive
  int64_t checks = 0;
  double check_s = 0;
  double step_s = 0;  // the engine step itself
};

struct SoakSummary {
  // What ran (deterministic).
  uint64_t seed = 0;
  int64_t target_steps = 0;
  std::vector<std::string> policies;
  std::map<std::string, int64_t> variants_per_policy;
  std::string cost_model;  // "llama-2-7b on a100-40g (...)"
  DrawLimits limits;
  Tally total;
  std::map<std::string, Tally> by_policy;
  std::map<std::string, Tally> by_variant;  // "policy [variant]"
  // Coverage: episodes per setting ("policy knob=value"), per draw feature.
  std::map<std::string, int64_t> knob_episodes;
  std::map<std::string, int64_t> feature_episodes;
  int32_t min_device_blocks_seen = 0;
  int32_t max_device_blocks_seen = 0;
  int32_t max_host_blocks_seen = 0;
  int64_t longest_episode_steps = 0;
  std::vector<Violation> violations;  // the first max_violations_kept
  // Wall clock (not deterministic; printed apart).
  double wall_s = 0;
  double step_wall_s = 0;
  double check_wall_s = 0;
  std::vector<CheckTimingBucket> check_timing;
};

// The command line that reruns episode `index` of a run with `opts`.
std::string ReplayCommand(const SoakOptions& opts, int64_t index);

// Runs the soak. Errors: an unknown policy name, a cost model that cannot be built.
Result<SoakSummary> RunSoak(const SoakOptions& opts);

}  // namespace cacheopt::soak
