// Runs an experiment: reads its traces, builds its setups, checks every
// policy variant on every setup it will run on (MakeScheduler validates the
// knobs), all before the first simulation; then runs the plan (plan.h) on a
// pool of worker threads. Results do not depend on the thread count.
#pragma once

#include <ostream>
#include <string>

#include "cacheopt/status.h"
#include "sweep/config.h"
#include "sweep/results.h"

namespace cacheopt::experiment {

struct RunnerOptions {
  int threads = 2;                  // this machine has two cores
  std::ostream* progress = nullptr;  // the progress line; null: silent
  bool progress_redraw = false;      // true on a terminal
  std::string command;               // provenance for the report
  std::string shared_dir;            // for the report
};

// A bad setup, trace or knob is an error before anything runs. A run that
// fails later is recorded (ExperimentResults::Failures) and the rest go on.
// `config` must outlive the results.
Result<ExperimentResults> RunExperiment(const ExperimentConfig& config, const RunnerOptions& opts);

}  // namespace cacheopt::experiment
