// The flags `simulate`, `capacity` and `compare` share, and turning them into
// a ready-to-run trace, workload, cost model and simulation options.
#pragma once

#include <CLI/CLI.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cacheopt/status.h"
#include "sim/setup.h"
#include "sim/simulator.h"
#include "sim/workload.h"
#include "trace/trace.h"

namespace cacheopt {

struct SimFlags {
  std::string trace;      // "" = the default (Azure conversation, else synthetic)
  std::string policy = "vllm";
  std::string model = "llama-2-7b";
  std::string gpu = "a100-40g";
  int tp = 1;
  double rate = 0;        // 0 = the trace's recorded rate (timestamped traces)
  int64_t requests = 2000;
  uint64_t seed = 0;
  std::string json_path;
  std::string steps_log;
  int32_t block_size = 16;
  double gpu_memory_utilization = 0.9;
  int64_t kv_device_blocks = -1;
  double host_kv_gib = 4;
  int64_t kv_host_blocks = -1;   // >= 0 overrides host_kv_gib
  std::string kv_cache_dtype = "fp16";  // GPU KV element: fp16 or fp8
  std::string cost_model;        // a CPU cost profile (cacheopt profile); "" = the GPU model
  std::string preemption_mode = "recompute";
  int32_t token_budget = 0;
  std::string arrival;    // "" = replay for timestamped traces, else poisson
  double arrival_cv = 3.0;
  int32_t max_tokens_cap = -1;
  bool clip_prompts = false;  // --clip-prompts
  double slo_scale = 1.0;
  std::vector<std::string> set;  // KEY=VALUE policy knobs
  bool check_invariants = false;
  // A cluster (docs/cluster-sim.md): replicas behind a router.
  int replicas = 1;
  std::string router;  // "" = one engine; set with --replicas > 1: round-robin
};

// Registers the shared flags; `with_rate` and `with_policy` for commands that take them.
void AddSimFlags(CLI::App* app, SimFlags* f, bool with_rate, bool with_policy);

// Everything a run needs, built once and shared by every policy it runs.
struct PreparedRun {
  Trace trace;
  WorkloadOptions workload;
  Setup setup;
  SimulationOptions sim;
  std::vector<std::string> notes;  // what was chosen for the user (printed to stderr)
};

// Validates names and values. Errors name what is wrong and list valid names.
Result<std::unique_ptr<PreparedRun>> Prepare(const SimFlags& f);

// Mean arrival rate of a timestamped trace's rows (for "recorded rate").
double RecordedRate(const Trace& trace);

}  // namespace cacheopt
