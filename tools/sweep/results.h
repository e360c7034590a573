// What an experiment produced: every run, every capacity, every setup's
// facts, in a deterministic order (the plan's), plus lookups the writers use.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cacheopt/status.h"
#include "sweep/capacity_search.h"
#include "sweep/config.h"
#include "sim/simulator.h"

namespace cacheopt::experiment {

// KV pressure (EVALUATION.md): the reference policy at these multiples of
// its own token-level capacity; below kContendedPreemptions preemptions per
// 1000 requests at the higher one, a setup is flagged "not KV-contended".
inline constexpr double kPressureMultiples[2] = {1.0, 1.25};
inline constexpr double kContendedPreemptions = 10;

// What a run's load multiple multiplies (seed means, req/s).
enum class RateBasis : int8_t {
  kReference,     // the reference policy's token-level capacity on the setup
  kOwnStall,      // the run's own policy's stall-aware capacity (overload curves)
  kBestBaseline,  // the best baseline's stall-aware capacity (tails at equal load)
};

// One simulation run, identified by everything that changes its result.
struct RunSpec {
  int setup = 0;
  Variant variant;
  uint64_t seed = 0;
  double multiple = 1;    // of the setup's reference capacity (token level, seed mean)
  double slo_scale = 1;
  int64_t requests = 0;
  int64_t kv_device_blocks = -1;  // > 0: overrides the setup's pool (scale)
  bool timed = false;             // a scale run: runs alone, wall time recorded
  RateBasis basis = RateBasis::kReference;
  std::vector<std::string> sections;  // which experiments use it

  std::string Key() const;
};

struct RunRecord {
  RunSpec spec;
  Status status;             // not ok: failed (or skipped, see skipped)
  bool skipped = false;      // not run: no reference capacity to scale by
  double rate_rps = 0;
  SimulationResult sim;
  int64_t workload_requests = 0;  // requests actually replayed
  std::string workload_description;
  double wall_s = 0, cpu_s = 0;   // timed runs only
  int32_t device_blocks = 0, block_size = 0;  // the pool it ran on

  bool ok() const { return status.ok() && !skipped; }
  // 1000 x preemptions (both kinds) / requests.
  double PreemptionsPer1000() const;
};

struct CapacityRecord {
  int setup = 0;
  Variant variant;
  std::vector<std::string> sections;
  Status status;
  std::vector<CapacityDefinition> definitions;
  std::vector<CapacityEstimate> estimates;  // one per definition
  int64_t simulations = 0;
  int32_t device_blocks = 0;  // the pool it ran on (a ceiling's is unbounded)

  const CapacityEstimate* Find(CapacityDefinition d) const;
};

struct SetupRecord {
  SetupSpec spec;
  int32_t device_blocks = 0, host_blocks = 0, block_size = 16;
  int64_t kv_capacity_tokens = 0;
  int64_t kv_bytes_per_token = 0;
  std::vector<std::string> notes;
  std::string trace_source, trace_format;
  bool trace_timestamps = false;
  int64_t rows_available = 0, dropped_over_context = 0;
  int64_t clipped_to_context = 0;  // rows whose prompt is clipped to fit (over_context "clip")
  int reference_capacity = -1;  // index into capacities
  double reference_rps = 0;     // token level, seed mean; 0 when none
};

struct ExperimentResults {
  const ExperimentConfig* config = nullptr;
  std::string command;     // provenance, as the caller gives it
  std::string shared_dir;
  std::vector<SetupRecord> setups;
  std::vector<CapacityRecord> capacities;
  std::vector<RunRecord> runs;
  std::map<std::string, size_t> run_index;       // RunSpec::Key -> runs
  std::map<std::string, size_t> capacity_index;  // CapacityKey -> capacities

  const RunRecord* FindRun(const RunSpec& spec) const;
  const CapacityRecord* FindCapacity(int setup, const Variant& v) const;
  // Runs or capacities that failed (not skipped), as "what: message".
  std::vector<std::string> Failures() const;
};

std::string CapacityKey(int setup, const Variant& v);

// Mean, min and max of a metric over the seeds that ran.
struct SeedStat {
  double mean = 0, min = 0, max = 0;
  int n = 0;  // seeds that ran
  double rate_rps = 0;
};

}  // namespace cacheopt::experiment
