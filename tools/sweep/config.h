// An experiment config (experiments/NAME.json; schema in docs/experiments.md):
// setups x policy variants x seeds, and which of EVALUATION.md's experiments
// 1-8 to run on them. Parsing is strict: an unknown key, policy, trace,
// choice or an out-of-range number is an error naming the key and what is
// allowed, before anything runs.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cacheopt/status.h"
#include "sweep/json_fields.h"
#include "sim/arrivals.h"
#include "sim/capacity.h"

namespace cacheopt::experiment {

struct SetupSpec {
  std::string name;     // unique; default "<model>/<gpu>[/tpN]/<trace>/<arrival>"
  std::string model = "llama-2-7b";
  std::string gpu = "a100-40g";
  int tp = 1;
  std::string trace;          // as written in the config
  std::string trace_path;     // resolved file, or "synthetic"
  std::optional<ArrivalKind> arrival;  // unset: replay if timestamped, else poisson
  double arrival_cv = 3.0;    // gamma only
  int64_t requests = 0;       // N per run (from the config's default when unset)
  int64_t kv_device_blocks = -1;
  double host_kv_gib = 4;
  std::string preemption_mode = "recompute";
  int32_t block_size = 16;
  double gpu_memory_utilization = 0.9;
  int32_t max_tokens_cap = -1;
  // Rows whose prompt + output exceed the model's context: "drop" them, or
  // "clip" their prompts to fit (counted in the report).
  std::string over_context = "drop";
  // Multiplies both SLOs of every run on this setup (capacities included);
  // the slo_scale experiment's values multiply on top.
  double slo_scale = 1;
  // A simulated cluster (docs/cluster-sim.md): replicas behind a router;
  // router "" with replicas 1 is one engine.
  int replicas = 1;
  std::string router;
  std::string where;          // "setups[i]", for messages
};

// One policy with its settings. Labels are unique across the experiment.
struct Variant {
  std::string label;
  std::string policy;
  std::map<std::string, std::string> knobs;
  int32_t token_budget = 0;  // 0: the policy's default
  int32_t block_size = 0;    // 0: the setup's (a sensitivity sweep may set it)
  int64_t kv_device_blocks = 0;  // 0: the setup's pool; > 0 replaces it (the KV-free ceiling)
  std::string where;         // where the config defined it, for messages
  // Identity of what runs (label excluded): equal keys give equal results.
  std::string Key() const;
  // "knob=value;knob=value" (sorted by knob), "" when none.
  std::string KnobText() const;
};

struct LoadCurvesSpec {
  bool enabled = false;
  std::vector<double> multiples = {0.5, 0.75, 1.0, 1.25, 1.5};  // x reference capacity
  std::vector<std::string> policies;  // labels; all when empty in the config
  std::vector<std::string> setups;    // names; all
};

struct CapacitySpec {
  bool enabled = false;
  std::vector<CapacityDefinition> definitions = {CapacityDefinition::kToken, CapacityDefinition::kStall};
  double lo_rps = 0.05, hi_rps = 64, rel_width = 0.02, target = 0.9;
  std::vector<std::string> policies;
  std::vector<std::string> setups;
};

struct AnatomySpec {
  bool enabled = false;
  double multiple = 1.25;
  std::vector<std::string> policies;
  std::vector<std::string> setups;
};

struct AblationSpec {
  bool enabled = false;
  std::string base;                  // a policy label
  std::vector<std::string> names;    // short names, one per variant ("no-padding")
  std::vector<Variant> variants;     // base's settings with one switch changed
  std::vector<double> load_multiples = {1.25};
  bool capacity = true;
  std::vector<std::string> setups;
};

struct SensitivitySweep {
  std::string knob;                 // a policy knob, or "block_size" (the setup's)
  std::map<std::string, std::string> with;  // knobs set for every value (e.g. estimator)
  std::vector<std::string> values;  // as the policy sees them
  std::vector<Variant> variants;    // one per value
};

struct SensitivitySpec {
  bool enabled = false;
  std::string base;
  std::vector<SensitivitySweep> sweeps;
  std::vector<double> load_multiples = {1.25};
  bool capacity = false;
  std::vector<std::string> setups;
};

struct SloScaleSpec {
  bool enabled = false;
  std::vector<double> values;
  double load_multiple = 1.0;
  std::vector<std::string> policies;
  std::vector<std::string> setups;
};

// Overload curves (issue 13): every policy at multiples of its own
// stall-aware capacity, to see whether it degrades steadily or falls off a cliff.
struct OverloadSpec {
  bool enabled = false;
  std::vector<double> multiples = {0.5, 1.0, 1.25, 1.5, 2.0};
  std::vector<std::string> policies;
  std::vector<std::string> setups;
};

// Tails at equal load: every policy at the best baseline's stall-aware capacity.
struct EqualLoadSpec {
  bool enabled = false;
  std::vector<std::string> policies;
  std::vector<std::string> setups;
};

struct ScaleSpec {
  bool enabled = false;
  std::string setup;                    // default: the first
  std::vector<std::string> policies;    // default: the reference
  std::vector<int64_t> requests = {250, 500, 1000, 2000, 4000};
  std::vector<int64_t> pool_blocks;     // device KV blocks; none: no pool sweep
  double load_multiple = 1.0;
  uint64_t seed = 0;                    // default: the first seed
};

// The two ceilings of a setup (docs/experiments.md "Ceilings"): every
// capacity policy again with the device tier made effectively unbounded (the
// KV-free ceiling is their maximum), and each cacheopt variant with the
// `oracle` estimator (true output lengths) on the setup's own pool.
struct CeilingsSpec {
  bool enabled = false;
  int64_t kv_device_blocks = 200000;
  bool oracle = true;
  std::vector<Variant> unbounded;  // one per capacity policy, in capacity.policies' order
  std::vector<std::string> unbounded_of;  // the label each one derives from
  std::vector<Variant> oracles;    // one per cacheopt capacity policy
};

struct ExperimentConfig {
  std::string name;
  std::string description;
  std::vector<uint64_t> seeds = {1, 2, 3};
  int64_t requests = 2000;
  std::string reference = "vllm";  // the label whose capacity sets every rate
  std::vector<SetupSpec> setups;
  std::vector<Variant> policies;
  LoadCurvesSpec load_curves;
  CapacitySpec capacity;
  AnatomySpec anatomy;
  AblationSpec ablation;
  SensitivitySpec sensitivity;
  SloScaleSpec slo_scale;
  ScaleSpec scale;
  CeilingsSpec ceilings;
  OverloadSpec overload;
  EqualLoadSpec equal_load;
  Json raw;  // the config as read, for the report

  const Variant* FindPolicy(const std::string& label) const;
  int FindSetup(const std::string& name) const;  // -1 when absent
};

// Top-level keys, in documentation order.
const std::vector<std::string>& ConfigKeys();

// `shared_dir` resolves trace names ("" = none: only "synthetic" and paths).
// `default_name` is used when the config has no "name".
Result<ExperimentConfig> ParseExperimentConfig(const Json& j, const std::string& shared_dir,
                                               const std::string& default_name);
// Reads and parses a file; errors are prefixed with its path.
Result<ExperimentConfig> LoadExperimentConfig(const std::string& path, const std::string& shared_dir);

std::string DefinitionName(CapacityDefinition d);

}  // namespace cacheopt::experiment
