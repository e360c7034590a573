// What the real-engine experiment measured: the set-up it derived (profile,
// reference capacity, device tier), then per policy and load the benchmark's
// summary, the server's preemption counters and, for the fidelity policies,
// the simulator's prediction of the same run.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cacheopt/metrics/summary.h"
#include "cacheopt/status.h"
#include "calibration/cost_replay.h"
#include "loadgen/bench_metrics.h"

namespace cacheopt::realexp {

struct RealSetup {
  std::string model_path, model_name, machine;
  int32_t context = 0;
  int64_t kv_bytes_per_token = 0;
  std::string profile_path;
  std::string profile_fit;  // one line: the fitted coefficients
  // The simulator's cost model: the profile refitted on the steps of a
  // warm-up run under serving load (against one engine-loop iteration);
  // empty: the idle profile (no warm-up).
  std::string serving_profile_path;
  std::string serving_fit;  // one line, as profile_fit
  // What the simulated policy predicts with: the warm-up's steps fitted
  // against the executor's compute time, as the server's online model, and
  // its p95 overrun (one line).
  std::string policy_fit;
  int64_t warmup_steps = 0;   // steps the serving refit was fitted on (0: reused)
  // What each run's speed check is against (calibration/speed_check.h): the
  // check timed as the warm-up ended (<profile>.serving-speed.json), or the
  // profile itself without a warm-up; empty: no speed check.
  std::string speed_reference;
  double idle_reference_rps = 0;  // the reference rate with the idle profile, before the refit
  // The SLO targets' model: the profile refitted on the server's own solo
  // steps (one request at a time, HTTP and sampling included).
  std::string slo_profile_path;
  double solo_decode_ms = 0, solo_prefill_ms = 0;  // at the workload's median prompt
  std::string trace_description;
  double reference_rps = 0;           // the reference policy's simulated capacity
  double mean_working_set_blocks = 0;  // at that rate, unbounded tier
  int32_t device_blocks = 0, host_blocks = 0, block_size = 16;
  std::vector<int> server_cpus, client_cpus;
  int32_t server_threads = 0;
  std::vector<std::string> notes;
};

// The server's counters over one run (after minus before).
struct ServerCounters {
  double preemptions_recompute = 0, preemptions_swap = 0;
  double swap_out_blocks = 0, swap_in_blocks = 0, recomputed_tokens = 0;
};

struct RealRun {
  std::string policy;
  double multiple = 0, rate_rps = 0;
  uint64_t seed = 0;  // the workload's
  Status status;  // not ok: the run could not be made (server failed to start, ...)
  int64_t requests = 0;
  bench::BenchSummary real;
  ServerCounters counters;
  double wall_s = 0;
  std::string result_path, log_path;
  // The machine's speed around the run against the warm-up's: the geometric
  // mean of its speed checks before and after the run against
  // speed_reference. The simulator's model is scaled by it for this run.
  // Absent without the speed check (or when both checks failed).
  std::optional<double> speed;
  std::string sim_profile_path;  // the profile the run was simulated with
  // The simulator on the same requests, send times, pool and policy.
  std::optional<Summary> sim;
  std::optional<int64_t> sim_preemptions;
  // The server's steps (logs/<run>.steps.jsonl) replayed through the profile:
  // per-step error against one engine-loop iteration (cost-replay --target loop).
  std::string steps_log;
  std::optional<CostReplayReport> step_error;

  double PreemptionsPer1000() const {
    return requests > 0 ? 1000.0 * (counters.preemptions_recompute + counters.preemptions_swap) / requests : 0;
  }
};

// One policy's capacity on the real server (bisection) and in simulation.
struct RealCapacity {
  std::string policy;
  double real_rps = 0;  // highest rate probed that held; 0 if none did
  double sim_rps = 0;
  // The machine's speed at the search's start, as RealRun's; for the record:
  // sim_rps comes from the model as fitted, the same for every policy.
  std::optional<double> speed;
  std::vector<std::pair<double, bool>> probes;  // (rate, held) in order
};

struct RealResults {
  std::string config_path, command;
  RealSetup setup;
  std::vector<RealRun> runs;  // load-major, then seed, then policy in config order
  // Every step of every run so far, replayed together.
  std::optional<CostReplayReport> step_error_all;
  // The machine's step-to-step noise (SameShapeSpread): steps against their
  // shape's median within each run, and across all runs pooled.
  std::optional<ErrorSummary> step_noise_within_runs, step_noise_pooled;
  std::vector<RealCapacity> capacities;
  double wall_s = 0;
};

}  // namespace cacheopt::realexp
