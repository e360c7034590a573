// The main job: every policy on the same workload, setup and seed, side by side.
#include <iostream>
#include <thread>

#include "commands.h"
#include "sim/capacity.h"
#include "summary_io.h"

namespace cacheopt {

namespace {

struct Variant {
  std::string label;
  std::string policy;
  int32_t token_budget;  // 0: the policy's default
};

}  // namespace

int RunCompare(const SimFlags& f, double load) {
  if (!(load > 0)) return BadInput(Status::InvalidArgument("--load must be positive"));
  SimFlags g = f;
  if (g.rate == 0) g.rate = 1.0;  // placeholder until the capacity search below
  auto prepared = Prepare(g);
  if (!prepared.ok()) return BadInput(prepared.status());
  PreparedRun& run = **prepared;
  for (const auto& n : run.notes) std::cerr << "note: " << n << "\n";
  if (f.rate == 0) {
    // Compare where KV competes: a multiple of vllm's token-level capacity.
    SimulationOptions s = run.sim;
    s.policy = "vllm";
    auto cap = FindCapacity(run.trace, run.workload, *run.setup.cost, s, CapacityOptions{});
    if (!cap.ok()) return BadInput(cap.status());
    if (cap->max_rate_rps <= 0) return BadInput(Status::OutOfRange("vllm meets no SLOs even at 0.05 req/s"));
    run.workload.rate_rps = load * cap->max_rate_rps;
    std::cout << "rate: " << load << " x vllm's capacity (" << cap->max_rate_rps
              << " req/s: 3 seeds, 90% TTFT and TBT attainment) = " << run.workload.rate_rps << " req/s\n";
  }
  auto workload = BuildWorkload(run.trace, run.workload);
  if (!workload.ok()) return BadInput(workload.status());

  // Sarathi-Serve at both of its paper's budgets.
  std::vector<Variant> variants = {{"cacheopt", "cacheopt", 0},
                                   {"s3", "s3", 0},
                                   {"vllm", "vllm", 0},
                                   {"vllm-v1", "vllm-v1", 0},
                                   {"sarathi-512", "sarathi", 512},
                                   {"sarathi-2048", "sarathi", 2048},
                                   {"reserve-max", "reserve-max", 0}};
  std::cout << f.model << " on " << f.gpu << " (tp " << f.tp << "): " << run.sim.sched.device_blocks
            << " device KV blocks of " << run.sim.sched.block_size << " tokens, " << run.sim.sched.host_blocks
            << " host blocks\nworkload: " << workload->description << "\n\n";

  std::vector<Result<SimulationResult>> results(variants.size(), Status::InvalidArgument("not run"));
  auto run_one = [&](size_t i) {
    SimulationOptions s = run.sim;
    s.policy = variants[i].policy;
    s.sched.token_budget = f.token_budget > 0 ? f.token_budget : variants[i].token_budget;
    results[i] = Simulate(*workload, *run.setup.cost, s);
  };
  // Two workers: this machine has two cores.
  for (size_t i = 0; i < variants.size(); i += 2) {
    std::thread t;
    if (i + 1 < variants.size()) t = std::thread(run_one, i + 1);
    run_one(i);
    if (t.joinable()) t.join();
  }
  std::vector<std::string> names;
  std::vector<SimulationResult> ok;
  nlohmann::ordered_json j;
  for (size_t i = 0; i < variants.size(); ++i) {
    if (!results[i].ok()) {
      std::cerr << "error: " << variants[i].label << ": " << results[i].status().message() << "\n";
      return 1;
    }
    names.push_back(variants[i].label);
    ok.push_back(*results[i]);
    j[variants[i].label] = ResultJson(*results[i]);
  }
  PrintComparison(std::cout, names, ok);
  if (!f.json_path.empty() && !WriteJsonFile(f.json_path, j))
    return BadInput(Status::IoError("cannot write --json " + f.json_path));
  return 0;
}

}  // namespace cacheopt
