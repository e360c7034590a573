// `cacheopt real-experiment CONFIG --out DIR`: every policy on the real
// server at several loads, with the simulator's prediction of the same runs
// (experiments/real.json, docs/real-engine.md).
#include <chrono>
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "real_sweep/real_config.h"
#include "real_sweep/real_report.h"
#include "real_sweep/real_runner.h"
#include "sim/shared_dir.h"

namespace cacheopt {

int RunRealExperimentCommand(const RealExperimentFlags& f) {
  using namespace cacheopt::realexp;
  auto config = ReadRealExperimentConfig(f.config);
  if (!config.ok()) return BadInput(config.status());
  RealRunnerOptions opts;
  opts.out_dir = f.out;
  opts.shared_dir = FindSharedDir();
  opts.profile_path = f.profile;
  opts.log = &std::cerr;
  const std::string command =
      "cacheopt real-experiment " + f.config + " --out " + f.out + (f.profile.empty() ? "" : " --profile " + f.profile);
  opts.on_run = [&](const RealResults& partial) {
    RealResults r = partial;
    r.command = command;
    r.config_path = f.config;
    if (Status s = WriteRealOutputs(r, *config, f.out); !s.ok()) std::cerr << "error: " << s.message() << "\n";
  };
  auto results = RunRealExperiment(*config, opts);
  if (!results.ok()) return BadInput(results.status());
  results->command = command;
  results->config_path = f.config;
  if (Status s = WriteRealOutputs(*results, *config, f.out); !s.ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return 1;
  }
  int failed = 0;
  for (const RealRun& r : results->runs) failed += r.status.ok() ? 0 : 1;
  std::cerr << "real-experiment: " << results->runs.size() << " runs (" << failed << " failed) in "
            << results->wall_s / 60 << " min; wrote " << f.out << "/results.csv, results.json, report.html\n";
  return failed == 0 ? 0 : 1;
}

}  // namespace cacheopt
