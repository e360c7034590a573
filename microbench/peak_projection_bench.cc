// cacheopt's peak projection (lending=peak), which a step runs once whenever
// the head of the waiting queue fails the plain reservation test: the sweep
// against the direct O(n^2) check it replaced, at 256 / 1024 / 4096 lives.
#include <benchmark/benchmark.h>

#include <vector>

#include "cacheopt/random/rng.h"
#include "core/sched/cacheopt/peak_projection.h"

namespace cacheopt {
namespace {

std::vector<ProjectedLife> Lives(int n) {
  Rng rng(1);
  std::vector<ProjectedLife> lives(n);
  for (ProjectedLife& l : lives) {
    l.remain = 1 + static_cast<int64_t>(rng.Next() % 2000);
    l.tokens = 64 + static_cast<int64_t>(rng.Next() % 2000);
  }
  return lives;
}

void BM_Sweep(benchmark::State& state) {
  const std::vector<ProjectedLife> base = Lives(static_cast<int>(state.range(0)));
  std::vector<ProjectedLife> lives;
  PeakProjection p;
  for (auto _ : state) {
    lives = base;  // Fits reorders; the scheduler rebuilds the list each call too
    benchmark::DoNotOptimize(p.Fits(&lives, 16, int64_t{1} << 40));
  }
}

void BM_BruteForce(benchmark::State& state) {
  const std::vector<ProjectedLife> lives = Lives(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(PeakFitsBruteForce(lives, 16, int64_t{1} << 40));
}

BENCHMARK(BM_Sweep)->Arg(256)->Arg(1024)->Arg(4096)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_BruteForce)->Arg(256)->Arg(1024)->Arg(4096)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace cacheopt

BENCHMARK_MAIN();
