// One scheduler step (Schedule + Update) in a decode-only steady state with
// 256 / 1024 / 4096 running requests, for each policy. The pool is large
// enough that nobody is preempted and max_num_seqs is raised to fit.
#include <benchmark/benchmark.h>

#include "cacheopt/cost/linear_cost_model.h"
#include "cacheopt/policy_registry.h"
#include "core/sched/scheduler.h"
#include "exec/sim/fixed_step_executor.h"

namespace cacheopt {
namespace {

constexpr int kIterations = 2000;  // each request grows by this many tokens

void BM_DecodeStep(benchmark::State& state, const std::string& policy) {
  const int n = static_cast<int>(state.range(0));
  SchedulerConfig c;
  c.block_size = 16;
  c.max_model_len = 8192;
  c.device_blocks = n * 150;
  c.host_blocks = 0;
  c.max_num_seqs = n;
  c.token_budget = n * 65;  // every prompt admitted in one step
  LinearCostModel cost;
  auto made = MakeScheduler(policy, c, &cost);
  if (!made.ok()) {
    state.SkipWithError(made.status().message().c_str());
    return;
  }
  Scheduler& s = **made;
  for (int i = 0; i < n; ++i) {
    RequestSpec spec;
    spec.id = i;
    spec.prompt_tokens = 64;
    spec.max_tokens = 2200;
    s.Add(spec);
  }
  ExecutorOutput res;
  double now = 0;
  auto step = [&] {
    const SchedulerOutput& out = s.Schedule(now);
    res.results.assign(out.seqs.size(), SeqResult{1, false});
    now += 0.01;
    s.Update(res, now);
    return out.seqs.size();
  };
  // Prefill everyone, then one decode so the state is steady.
  while (s.num_waiting() > 0) step();
  step();
  for (auto _ : state) benchmark::DoNotOptimize(step());
  state.counters["running"] = static_cast<double>(s.num_running());
  state.counters["preemptions"] =
      static_cast<double>(s.counters().preemptions_recompute + s.counters().preemptions_swap);
}

void Register() {
  for (const std::string& p : PolicyNames()) {
    benchmark::RegisterBenchmark(("DecodeStep/" + p).c_str(), BM_DecodeStep, p)
        ->Arg(256)
        ->Arg(1024)
        ->Arg(4096)
        ->Iterations(kIterations)
        ->Repetitions(5)
        ->ReportAggregatesOnly(true)
        ->Unit(benchmark::kMicrosecond);
  }
}

}  // namespace
}  // namespace cacheopt

int main(int argc, char** argv) {
  cacheopt::Register();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
