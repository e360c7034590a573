// Simulating the Azure 2023 conversation trace with `vllm` on Llama-2-7B /
// A100-40GB at its recorded rate: all rows that fit the context, and smaller
// windows to show how the time grows with the number of requests.
#include <benchmark/benchmark.h>

#include "sim/setup.h"
#include "sim/shared_dir.h"
#include "sim/simulator.h"
#include "trace/trace.h"

namespace cacheopt {
namespace {

double RecordedRate(const Trace& t) {
  double span = t.rows.back().arrival_s - t.rows.front().arrival_s;
  return static_cast<double>(t.rows.size() - 1) / span;
}

void BM_SimulateAzure(benchmark::State& state) {
  std::string shared = FindSharedDir();
  std::string path = DefaultTracePath(shared);
  if (path.empty()) {
    state.SkipWithError("../shared not found: the Azure trace is needed");
    return;
  }
  auto trace = ReadTrace(path);
  if (!trace.ok()) {
    state.SkipWithError(trace.status().message().c_str());
    return;
  }
  SetupOptions so;
  so.shared_dir = shared;
  auto setup = MakeSetup(so);
  if (!setup.ok()) {
    state.SkipWithError(setup.status().message().c_str());
    return;
  }
  WorkloadOptions w;
  w.rate_rps = RecordedRate(*trace);
  w.num_requests = state.range(0);  // <= 0: every row that fits
  w.max_context = setup->sched.max_model_len;
  auto workload = BuildWorkload(*trace, w);
  if (!workload.ok()) {
    state.SkipWithError(workload.status().message().c_str());
    return;
  }
  SimulationOptions sim;
  sim.policy = "vllm";
  sim.sched = setup->sched;
  int64_t steps = 0;
  for (auto _ : state) {
    auto r = Simulate(*workload, *setup->cost, sim);
    if (!r.ok()) {
      state.SkipWithError(r.status().message().c_str());
      return;
    }
    steps = r->steps;
  }
  state.counters["requests"] = static_cast<double>(workload->requests.size());
  state.counters["steps"] = static_cast<double>(steps);
}

BENCHMARK(BM_SimulateAzure)->Arg(2000)->Arg(5000)->Arg(10000)->Arg(-1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cacheopt

BENCHMARK_MAIN();
