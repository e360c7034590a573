#include <fstream>
#include <iostream>

#include "commands.h"
#include "summary_io.h"

namespace cacheopt {

int BadInput(const Status& s) {
  std::cerr << "error: " << s.message() << "\n";
  return 2;
}

int RunSimulate(const SimFlags& f) {
  auto prepared = Prepare(f);
  if (!prepared.ok()) return BadInput(prepared.status());
  PreparedRun& run = **prepared;
  for (const auto& n : run.notes) std::cerr << "note: " << n << "\n";
  auto workload = BuildWorkload(run.trace, run.workload);
  if (!workload.ok()) return BadInput(workload.status());
  std::cerr << "workload: " << workload->description << "\n";

  std::ofstream steps;
  if (!f.steps_log.empty()) {
    steps.open(f.steps_log);
    if (!steps) return BadInput(Status::IoError("cannot write --steps-log " + f.steps_log));
    run.sim.steps_log = &steps;
  }
  auto result = Simulate(*workload, *run.setup.cost, run.sim);
  if (!result.ok()) {
    std::cerr << "error: " << result.status().message() << "\n";
    return 1;
  }
  std::cout << "policy " << f.policy << ", " << f.model << " on " << f.gpu << " (tp " << f.tp << "), "
            << run.sim.sched.device_blocks << " device blocks of " << run.sim.sched.block_size
            << " tokens, " << run.sim.sched.host_blocks << " host blocks\n";
  if (!result->replicas.empty()) {
    std::cout << run.sim.cluster.replicas << " replicas behind router " << run.sim.cluster.router << "\n";
    for (size_t i = 0; i < result->replicas.size(); ++i) {
      const ReplicaResult& p = result->replicas[i];
      std::cout << "  replica " << i << ": " << p.routed << " requests routed, " << p.finished << " finished, peak KV "
                << static_cast<int>(p.peak_kv_use * 100 + 0.5) << "%";
      if (result->prefix_caching)
        std::cout << ", prefix hits " << p.prefix_hit_tokens << " of " << p.prefix_query_tokens << " tokens";
      std::cout << "\n";
    }
  }
  PrintResult(std::cout, f.policy, *result);
  if (!f.json_path.empty()) {
    auto j = ResultJson(*result);
    j["policy"] = f.policy;
    j["rate_rps"] = run.workload.rate_rps;
    j["seed"] = f.seed;
    if (!result->replicas.empty()) {
      j["router"] = run.sim.cluster.router;
      j["replica_count"] = run.sim.cluster.replicas;
    }
    if (!WriteJsonFile(f.json_path, j)) return BadInput(Status::IoError("cannot write --json " + f.json_path));
  }
  return 0;
}

}  // namespace cacheopt
