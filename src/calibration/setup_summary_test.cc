// Prints the numbers docs/cost-model.md quotes for the experiment setups
// (solo step times, KV capacity, swap cost) and sanity-checks them.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "calibration/load_gpu_cost_model.h"
#include "calibration/test_util.h"

namespace cacheopt {
namespace {

struct ServingSetup {
  const char* model;
  const char* gpu;
  int tp;
};

TEST(SetupSummaryTest, ExperimentSetups) {
  const std::string dir = testing::SharedDataDir();
  if (dir.empty()) GTEST_SKIP() << "../shared/data absent";
  const ServingSetup setups[] = {{"llama-2-7b", "a100-40g", 1},   {"llama-2-7b", "a100-80g", 1},
                                 {"internlm-20b", "a100-80g", 1}, {"llama-2-70b", "a100-80g", 2},
                                 {"llama-2-70b", "a100-80g", 4},  {"llama-2-70b", "h100-80g", 2}};
  std::string notes;
  std::printf(
      "setup                    KV tokens@0.9  decode@1k  64 decodes@1k  prefill 1k  "
      "prefill 2k  chunk 512@3.5k  swap 1 block(16)\n");
  for (const ServingSetup& s : setups) {
    GpuCostModelOptions o;
    o.model = s.model;
    o.gpu = s.gpu;
    o.tp = s.tp;
    o.data_dir = dir;
    o.allow_fallback = false;
    CostModelProvenance prov;
    auto m = LoadGpuCostModel(o, &prov);
    ASSERT_TRUE(m.ok()) << m.status().message();
    const GpuCostModel& c = **m;
    notes += std::string(s.model) + " " + s.gpu + " tp" + std::to_string(s.tp) + ":\n" + prov.note +
             "\n";
    const int64_t kv = KvCapacityTokens(c.model(), c.gpu(), s.tp, 0.9);
    const double d1 = c.SoloDecodeTime(1000);
    const double d64 = c.StepTime(std::vector<SeqWork>(64, SeqWork{1, 1000}));
    const double p1 = c.SoloPrefillTime(1024), p2 = c.SoloPrefillTime(2048);
    const double chunk = c.StepTime(std::vector<SeqWork>{{512, 3584}});
    const double swap = c.SwapTime(1, 0, 16);
    std::printf("%-13s %-8s tp%d %10lld %9.1f ms %11.1f ms %8.1f ms %8.1f ms %11.1f ms %12.3f ms\n",
                s.model, s.gpu, s.tp, static_cast<long long>(kv), 1e3 * d1, 1e3 * d64, 1e3 * p1,
                1e3 * p2, 1e3 * chunk, 1e3 * swap);
    EXPECT_GT(kv, 10000);
    EXPECT_LT(d1, d64);
    EXPECT_LT(d64, p1);
    EXPECT_LT(p1, p2);
  }
  std::printf("%s", notes.c_str());
  // The SLO design note: 4x/8x/16x solo decode is ~50/100/200 ms for
  // Llama-2-7B on an A100, i.e. a solo decode of ~12.5 ms.
  GpuCostModelOptions o;
  o.model = "llama-2-7b";
  o.gpu = "a100-80g";
  o.data_dir = dir;
  auto m = LoadGpuCostModel(o);
  ASSERT_TRUE(m.ok());
  EXPECT_NEAR((*m)->SoloDecodeTime(1000), 0.0125, 0.004);
}

}  // namespace
}  // namespace cacheopt
