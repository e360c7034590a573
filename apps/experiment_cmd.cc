// `cacheopt experiment CONFIG --out DIR`: runs a sweep (experiments/*.json,
// docs/experiments.md) and writes results.csv, results.json and report.html.
#include <unistd.h>

#include <chrono>
#include <iostream>

#include "commands.h"
#include "sweep/config.h"
#include "sweep/outputs.h"
#include "sweep/progress.h"
#include "sweep/runner.h"
#include "sim/shared_dir.h"

namespace cacheopt {

int RunExperimentCommand(const ExperimentFlags& f) {
  using namespace cacheopt::experiment;
  if (f.threads < 1 || f.threads > 256)
    return BadInput(Status::InvalidArgument("--threads must be in [1, 256], got " + std::to_string(f.threads)));
  std::string shared = FindSharedDir();
  auto config = LoadExperimentConfig(f.config, shared);
  if (!config.ok()) return BadInput(config.status());
  RunnerOptions opts;
  opts.threads = f.threads;
  opts.shared_dir = shared;
  opts.command = "cacheopt experiment " + f.config;
  if (!f.quiet) {
    opts.progress = &std::cerr;
    opts.progress_redraw = isatty(STDERR_FILENO) != 0;
  }
  auto t0 = std::chrono::steady_clock::now();
  auto results = RunExperiment(*config, opts);
  if (!results.ok()) return BadInput(results.status());
  if (Status s = WriteExperimentOutputs(*results, f.out); !s.ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return 1;
  }
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto failures = results->Failures();
  for (const auto& x : failures) std::cerr << "error: " << x << "\n";
  std::cerr << config->name << ": " << results->runs.size() << " runs, " << results->capacities.size()
            << " capacity searches in " << FormatDuration(elapsed) << "; wrote " << f.out << "/results.csv, "
            << f.out << "/results.json, " << f.out << "/report.html\n";
  return failures.empty() ? 0 : 1;
}

}  // namespace cacheopt
