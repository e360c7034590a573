// Runs the real-engine experiment (EVALUATION.md, "The real engine's
// workload"; docs/real-engine.md): makes the model, profiles this machine,
// asks the simulator (with that profile) for the reference policy's capacity
// and the offered load's working set, sizes the device tier by the rule, then
// for every load and policy starts `cacheopt serve` pinned to the server's
// CPUs, drives it with the benchmark client from the client's CPUs, reads its
// counters, and replays the same requests in the simulator for the fidelity
// policies.
#pragma once

#include <functional>
#include <ostream>
#include <string>

#include "cacheopt/status.h"
#include "real_sweep/real_config.h"
#include "real_sweep/real_results.h"

namespace cacheopt::realexp {

struct RealRunnerOptions {
  std::string out_dir;
  std::string shared_dir;  // "" = none (synthetic trace only)
  // A saved profile of this machine (--profile): reused when the file exists
  // (it must match the machine, the threads and the model, or the run stops
  // naming the field), else the new profile is saved there too. "" = profile
  // every run afresh.
  std::string profile_path;
  std::ostream* log = nullptr;
  // Called after every run (to write partial results as they come).
  std::function<void(const RealResults&)> on_run;
};

// Fails only when nothing can run (bad config, no model, no profile); a run
// that fails is recorded with its status, and the others go on.
Result<RealResults> RunRealExperiment(const RealExperimentConfig& config, const RealRunnerOptions& opts);

}  // namespace cacheopt::realexp
