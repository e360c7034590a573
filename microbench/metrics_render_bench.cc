// GET /metrics must be cheap enough to scrape every 50 ms (p99 under 5 ms):
// Render() of the full serving metric set, with every histogram populated,
// alone and while the engine thread keeps writing.
#include <benchmark/benchmark.h>

#include <atomic>
#include <thread>

#include "server/serving_metrics.h"

namespace cacheopt {
namespace {

ServingMetricsConfig Config() {
  ServingMetricsConfig c;
  c.model_name = "llama-2-7b-chat";
  c.block_size = 16;
  c.num_gpu_blocks = 2048;
  c.num_cpu_blocks = 2048;
  c.policy = "cacheopt";
  return c;
}

void Populate(ServingMetrics& m) {
  EngineSnapshot s;
  s.running = 40;
  s.waiting = 12;
  s.kv_usage = 0.93;
  s.generation_tokens_total = 123456;
  m.OnStep(s);
  for (int i = 0; i < 1000; ++i) {
    m.OnFirstToken(0.001 * i);
    m.OnTokenGap(0.0001 * i);
    m.OnFinish({"stop", 0.05 * i, static_cast<SloClass>(i % 3), i % 2 == 0, i % 3 == 0});
  }
}

void BM_RenderServingMetrics(benchmark::State& state) {
  ServingMetrics m(Config());
  Populate(m);
  size_t bytes = 0;
  for (auto _ : state) {
    std::string out = m.Render();
    bytes = out.size();
    benchmark::DoNotOptimize(out);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_RenderServingMetrics);

void BM_RenderWhileEngineWrites(benchmark::State& state) {
  ServingMetrics m(Config());
  Populate(m);
  std::atomic<bool> done{false};
  std::thread writer([&] {
    EngineSnapshot s;
    for (int64_t i = 0; !done.load(std::memory_order_relaxed); ++i) {
      s.generation_tokens_total = i;
      m.OnStep(s);
      m.OnTokenGap(0.02);
    }
  });
  std::string out;
  for (auto _ : state) {
    out.clear();
    m.RenderTo(&out);  // reusing the buffer, as a server thread can
    benchmark::DoNotOptimize(out);
  }
  done = true;
  writer.join();
}
BENCHMARK(BM_RenderWhileEngineWrites);

}  // namespace
}  // namespace cacheopt

BENCHMARK_MAIN();
