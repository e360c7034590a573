#include "cacheopt/cost/gpu_cost_model.h"

#include <gtest/gtest.h>

#include <vector>

#include "cacheopt/cost/analytic_tables.h"

namespace cacheopt {
namespace {

std::unique_ptr<GpuCostModel> Analytic(const char* model, const char* gpu, int tp) {
  const ModelSpec m = *FindModel(model);
  const GpuSpec g = *FindGpu(gpu);
  Result<std::unique_ptr<GpuCostModel>> r =
      GpuCostModel::Create(m, g, tp, AnalyticTables(m, g, tp));
  EXPECT_TRUE(r.ok()) << r.status().message();
  return std::move(r).value();
}

double Step(const CostModel& c, std::vector<SeqWork> seqs) { return c.StepTime(seqs); }

TEST(GpuCostModelTest, EmptyBatchCostsNothing) {
  auto c = Analytic("llama-2-7b", "a100-80g", 1);
  EXPECT_EQ(Step(*c, {}), 0);
  EXPECT_EQ(Step(*c, {{0, 100}}), 0);
  EXPECT_GT(Step(*c, {{1, 100}}), 0);
}

TEST(GpuCostModelTest, MonotoneInTokens) {
  for (const char* gpu : {"a100-40g", "a100-80g", "h100-80g"}) {
    auto c = Analytic("llama-2-7b", gpu, 1);
    double last = 0;
    for (int n = 1; n <= 8192; n += 7) {
      const double t = c->SoloPrefillTime(n);
      EXPECT_GE(t, last) << gpu << " n=" << n;
      last = t;
    }
    last = 0;
    for (int b = 1; b <= 512; ++b) {
      const double t = Step(*c, std::vector<SeqWork>(b, SeqWork{1, 1000}));
      EXPECT_GE(t, last) << gpu << " batch=" << b;
      last = t;
    }
  }
}

TEST(GpuCostModelTest, MonotoneInContext) {
  auto c = Analytic("internlm-20b", "a100-80g", 1);
  double last_decode = 0, last_chunk = 0;
  for (int ctx = 1; ctx <= 16384; ctx += 61) {
    const double d = c->SoloDecodeTime(ctx);
    const double p = Step(*c, {{256, ctx}});
    EXPECT_GE(d, last_decode) << ctx;
    EXPECT_GE(p, last_chunk) << ctx;
    last_decode = d;
    last_chunk = p;
  }
  // A long context costs visibly more than a short one for a batch of decodes.
  EXPECT_GT(Step(*c, std::vector<SeqWork>(64, SeqWork{1, 4000})),
            1.2 * Step(*c, std::vector<SeqWork>(64, SeqWork{1, 100})));
}

TEST(GpuCostModelTest, ChunkedPrefillPaysForCachedPrefix) {
  auto c = Analytic("llama-2-70b", "a100-80g", 2);
  const StepCost fresh = c->Cost(std::vector<SeqWork>{{512, 0}});
  const StepCost late = c->Cost(std::vector<SeqWork>{{512, 3584}});
  EXPECT_EQ(fresh.linear_s, late.linear_s);  // same tokens through the layers
  EXPECT_GT(late.attention_s, 2 * fresh.attention_s);
  EXPECT_GT(late.total(), fresh.total());
}

TEST(GpuCostModelTest, TensorParallelAddsAllReduces) {
  auto tp1 = Analytic("llama-2-7b", "a100-80g", 1);
  auto tp2 = Analytic("llama-2-7b", "a100-80g", 2);
  const std::vector<SeqWork> batch{{512, 0}, {1, 300}};
  EXPECT_EQ(tp1->Cost(batch).all_reduce_s, 0);
  EXPECT_GT(tp2->Cost(batch).all_reduce_s, 0);
  EXPECT_EQ(tp2->KvBytesPerToken(), 256 * 1024);
  EXPECT_LT(tp2->StepTime(batch), tp1->StepTime(batch));  // half the weights per shard
}

TEST(GpuCostModelTest, A100FortyIsSlowerWhereMemoryBound) {
  auto a40 = Analytic("llama-2-7b", "a100-40g", 1);
  auto a80 = Analytic("llama-2-7b", "a100-80g", 1);
  const std::vector<SeqWork> decodes(32, SeqWork{1, 2000});
  EXPECT_GT(a40->StepTime(decodes), 1.15 * a80->StepTime(decodes));
  EXPECT_NEAR(a40->SoloPrefillTime(4096) / a80->SoloPrefillTime(4096), 1.0, 0.05);
}

TEST(GpuCostModelTest, SwapTimeCountsCopiesAndSharesTheLink) {
  auto c = Analytic("llama-2-7b", "a100-80g", 1);
  const GpuSpec& g = c->gpu();
  // One block: 32 layers x (K, V) copies of 16 tokens' KV.
  const double one = 32 * 2 * g.host_copy_latency_s + 16.0 * 512 * 1024 / g.host_link_bytes_per_s;
  EXPECT_DOUBLE_EQ(c->SwapTime(1, 0, 16), one);
  EXPECT_DOUBLE_EQ(c->SwapTime(0, 1, 16), one);
  EXPECT_EQ(c->SwapTime(0, 0, 16), 0);
  EXPECT_GT(c->SwapTime(10, 10, 16), c->SwapTime(10, 0, 16));
  EXPECT_DOUBLE_EQ(c->SwapTime(10, 10, 16), 20 * one);
  // A 16-token block copies at well under the link's bandwidth.
  EXPECT_GT(one, 1.5 * 16.0 * 512 * 1024 / g.host_link_bytes_per_s);
}

TEST(GpuCostModelTest, CreateRejectsBadInputs) {
  const ModelSpec m = *FindModel("llama-2-7b");
  const GpuSpec g = *FindGpu("a100-80g");
  EXPECT_FALSE(GpuCostModel::Create(m, g, 3, AnalyticTables(m, g, 3)).ok());  // 32 % 3 != 0
  EXPECT_FALSE(GpuCostModel::Create(m, g, 0, AnalyticTables(m, g, 1)).ok());
  // TP 2 needs an all-reduce table.
  EXPECT_FALSE(GpuCostModel::Create(m, g, 2, AnalyticTables(m, g, 1)).ok());
  OperatorTables broken = AnalyticTables(m, g, 1);
  broken.attention.kv_bytes_per_s = 0;
  EXPECT_FALSE(GpuCostModel::Create(m, g, 1, broken).ok());
}

TEST(GpuCostModelTest, PlausibleSoloTimes) {
  // Llama-2-7B on an A100: a decode step is ~10-30 ms (design note: the
  // medium TBT class, 8x solo decode, is ~100 ms); a 1k prefill ~50-150 ms.
  auto c = Analytic("llama-2-7b", "a100-80g", 1);
  EXPECT_GT(c->SoloDecodeTime(1000), 0.008);
  EXPECT_LT(c->SoloDecodeTime(1000), 0.03);
  EXPECT_GT(c->SoloPrefillTime(1024), 0.05);
  EXPECT_LT(c->SoloPrefillTime(1024), 0.15);
}

}  // namespace
}  // namespace cacheopt
