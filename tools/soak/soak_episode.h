// One soak episode: a random workload and scheduler configuration drawn from
// a seed, run to the end through the engine (schedule, execute, update) with
// the checks after every step and at the end. Everything an episode does is a
// pure function of its EpisodeSpec, so a violation replays from the seed.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "cacheopt/cost/cost_model.h"
#include "cacheopt/request.h"
#include "cacheopt/status.h"
#include "core/sched/scheduler.h"
#include "soak/soak_variants.h"

namespace cacheopt::soak {

// How an episode's requests arrive (on the episode's own time scale: the
// fake executor's 1 s step, or the cost model's solo decode step).
enum class ArrivalPattern : int8_t {
  kBurst,   // all at time 0
  kPoisson, // exponential gaps at a random rate around the service rate
  kBursty,  // groups arriving at one instant, groups spread out
  kSpread,  // far apart: the engine idles between requests
};
const char* ToString(ArrivalPattern p);

// Which executor runs the steps.
enum class ExecutorKind : int8_t {
  kSim,   // SimExecutor with the real GPU cost model (as `simulate` runs)
  kFake,  // FixedStepExecutor (1 s per step) with LinearCostModel
};
const char* ToString(ExecutorKind k);

struct EpisodeRequest {
  RequestSpec spec;         // SLOs filled from the episode's cost model
  int32_t natural_len = 0;  // where the model would emit EOS (may exceed max_tokens)
  // What the request must produce: min(natural, max_tokens, max_model_len - prompt).
  int32_t ExpectedOutput(int32_t max_model_len) const;
};

// Limits of the random draws (from the command line).
struct DrawLimits {
  int32_t min_device_blocks = 2;
  int32_t max_device_blocks = 4096;
  int32_t max_model_len = 4096;     // the real cost model's context caps it
  int32_t max_requests = 200;
  // Per episode, prompt plus expected output tokens summed over requests
  // (bounds an episode's length; the first request always comes). Pressure
  // episodes may take up to 4x the pool's tokens, at most 2x this.
  int64_t max_work_tokens = 25000;
  double sim_share = 0.6;           // episodes on the SimExecutor + GPU cost model
  // The simulated device (some policies' defaults depend on it).
  std::string sim_device_name;
  double sim_device_memory_gib = 0;
};

struct EpisodeSpec {
  int64_t index = 0;
  uint64_t seed = 0;
  std::string policy;
  std::string variant;  // label: "default", "estimator=text", "mixed"
  ExecutorKind executor = ExecutorKind::kFake;
  ArrivalPattern arrival = ArrivalPattern::kBurst;
  bool pressure = false;  // built to overflow the pool: many requests, long outputs, bursts
  // Prompts share prefixes (a few families, RequestSpec::block_hashes): a
  // policy with the prefix cache shares blocks, evicts and re-hits them.
  int32_t prefix_families = 0;
  // Request groups drawn (RequestSpec::group, as the server's n > 1): the
  // grouping policies admit and preempt them whole.
  int32_t request_groups = 0;
  SchedulerConfig config;  // knobs set; `truth` is set when the episode runs
  std::vector<EpisodeRequest> requests;  // id i at index i, in arrival order
};

// The seed of episode `index` of a run seeded `run_seed`.
uint64_t EpisodeSeed(uint64_t run_seed, int64_t index);

// Draws the episode. `cost` is the cost model the episode's executor uses
// (for SLOs and the arrival time scale).
EpisodeSpec DrawEpisode(const std::string& policy, const Variant& variant, uint64_t seed, int64_t index,
                        const DrawLimits& limits, const CostModel& sim_cost, const CostModel& fake_cost);

// One line describing the draw (deterministic).
std::string Describe(const EpisodeSpec& e);

// Builds the scheduler; the default is MakeScheduler (the registry). Tests
// swap in a deliberately broken one to see the checks fire.
using SchedulerFactory = std::function<Result<SchedulerPtr>(
    const std::string& policy, const SchedulerConfig& config, const CostModel* cost)>;

struct EpisodeResult {
  int64_t steps = 0;         // scheduler steps, each followed by the checks
  int64_t executed_steps = 0;  // steps that ran a batch or a copy
  int64_t added = 0;
  int64_t finished = 0;
  int64_t rejected = 0;
  int64_t rejected_pool = 0;    // larger than the pool (less the watermark) could ever hold
  int64_t rejected_budget = 0;  // prompt over an explicit token budget
  int64_t preemptions_recompute = 0;
  int64_t preemptions_swap = 0;
  int64_t swapped_out_blocks = 0;
  int64_t swapped_in_blocks = 0;
  int64_t prefix_hit_tokens = 0;  // prompt tokens found in the prefix cache
  int64_t evictions = 0;          // cached blocks evicted
  int64_t output_tokens = 0;
  int32_t peak_device_used = 0;
  // Steps that fed more tokens than an explicit --token-budget (a policy
  // choice, not a violation: cacheopt's SLO-aware batching sizes its own).
  int64_t over_budget_steps = 0;
  double simulated_s = 0;
  // Wall time of the invariant checks (not deterministic; reported apart).
  double check_wall_s = 0;
  double step_wall_s = 0;
  // The first violation, if any: the step it was seen after (-1: at the end).
  bool violation = false;
  int64_t violation_step = -1;
  std::string message;
};

struct EpisodeRunOptions {
  SchedulerFactory make_scheduler;  // empty: MakeScheduler
  int64_t max_steps = 20'000'000;   // a liveness bound: more is a violation
  std::ostream* trace = nullptr;    // one line per step (replays)
};

EpisodeResult RunEpisode(const EpisodeSpec& e, const CostModel& sim_cost, const CostModel& fake_cost,
                         const EpisodeRunOptions& opts);

}  // namespace cacheopt::soak
