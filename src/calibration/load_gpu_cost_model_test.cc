#include "calibration/load_gpu_cost_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "cacheopt/cost/analytic_tables.h"
#include "calibration/attention_fit.h"
#include "calibration/cpu_overhead_fit.h"
#include "calibration/test_util.h"

namespace cacheopt {
namespace {

GpuCostModelOptions Options(const char* model, const char* gpu, int tp, std::string dir) {
  GpuCostModelOptions o;
  o.model = model;
  o.gpu = gpu;
  o.tp = tp;
  o.data_dir = std::move(dir);
  return o;
}

TEST(LoadGpuCostModelTest, WithoutDataFallsBackAndSaysSo) {
  CostModelProvenance p;
  auto m = LoadGpuCostModel(Options("llama-2-7b", "a100-40g", 1, ""), &p);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_TRUE(p.analytic_fallback);
  EXPECT_TRUE(p.files.empty());
  EXPECT_NE(p.note.find("analytic fallback"), std::string::npos);
  EXPECT_GT((*m)->SoloDecodeTime(100), 0);

  auto nowhere = LoadGpuCostModel(Options("llama-2-70b", "h100-80g", 4, "/nonexistent"), &p);
  ASSERT_TRUE(nowhere.ok()) << nowhere.status().message();
  EXPECT_TRUE(p.analytic_fallback);
  EXPECT_NE(p.note.find("/nonexistent/vidur_profiling"), std::string::npos);
}

TEST(LoadGpuCostModelTest, MissingDataIsAnErrorWhenFallbackIsOff) {
  GpuCostModelOptions o = Options("llama-2-7b", "a100-80g", 1, "/nonexistent");
  o.allow_fallback = false;
  auto m = LoadGpuCostModel(o);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kNotFound);
}

TEST(LoadGpuCostModelTest, BadNamesAndTpAreErrors) {
  EXPECT_EQ(LoadGpuCostModel(Options("llama-9", "a100-80g", 1, "")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(LoadGpuCostModel(Options("llama-2-7b", "v100", 1, "")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(LoadGpuCostModel(Options("llama-2-7b", "a100-80g", 3, "")).ok());
}

TEST(LoadGpuCostModelTest, MalformedProfileIsAnErrorNamingFileLineField) {
  const std::string dir = testing::ScratchDir("malformed_mlp");
  const std::string path = dir + "/vidur_profiling/compute/a100/microsoft/phi-2/mlp.csv";
  testing::WriteFile(path,
                     "time_stats.emb.median,time_stats.add.median,n_head,n_kv_head,n_embd,"
                     "n_expanded_embd,num_tokens,num_tensor_parallel_workers\n"
                     "0.01,0.02,32,32,2560,10240,8,1\n"
                     "0.01,oops,32,32,2560,10240,16,1\n");
  auto m = LoadGpuCostModel(Options("phi-2", "a100-80g", 1, dir));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(), path + ":3: field 'time_stats.add.median': not a number: 'oops'");
}

TEST(LoadGpuCostModelTest, ShapeMismatchIsAnError) {
  const std::string dir = testing::ScratchDir("mismatched_mlp");
  testing::WriteFile(dir + "/vidur_profiling/compute/a100/microsoft/phi-2/mlp.csv",
                     "time_stats.add.median,n_head,n_kv_head,n_embd,n_expanded_embd,num_tokens,"
                     "num_tensor_parallel_workers\n0.02,32,32,4096,10240,8,1\n");
  auto m = LoadGpuCostModel(Options("phi-2", "a100-80g", 1, dir));
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("n_embd is 4096 but phi-2 has 2560"), std::string::npos);
}

class WithSharedData : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::SharedDataDir();
    if (dir_.empty()) GTEST_SKIP() << "../shared/data absent";
  }
  std::string dir_;
};

TEST_F(WithSharedData, EveryModelAndGpuLoads) {
  for (const std::string& model : ModelNames()) {
    for (const std::string& gpu : GpuNames()) {
      for (int tp : {1, 2, 4}) {
        if (model == "phi-2" && tp > 1) continue;
        CostModelProvenance p;
        auto m = LoadGpuCostModel(Options(model.c_str(), gpu.c_str(), tp, dir_), &p);
        ASSERT_TRUE(m.ok()) << model << " " << gpu << " " << tp << ": " << m.status().message();
        const bool profiled = !((model == "llama-3-8b" || model == "llama-3.1-8b") && gpu == "h100-80g");
        EXPECT_EQ(p.analytic_fallback, !profiled) << model << " " << gpu << "\n" << p.note;
        EXPECT_GT((*m)->SoloPrefillTime(1024), (*m)->SoloDecodeTime(1024));
      }
    }
  }
}

TEST_F(WithSharedData, MissingTpFallsBackForThatPartOnly) {
  CostModelProvenance p;
  auto m = LoadGpuCostModel(Options("phi-2", "a100-80g", 2, dir_), &p);  // profiled at TP 1 only
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_TRUE(p.analytic_fallback);
  EXPECT_NE(p.note.find("linear ops: analytic fallback"), std::string::npos) << p.note;
  EXPECT_NE(p.note.find("has no rows for TP 2"), std::string::npos) << p.note;
  EXPECT_NE(p.note.find("attention: fitted on"), std::string::npos) << p.note;
}

TEST_F(WithSharedData, Llama70bTp2ReadsEveryTable) {
  CostModelProvenance p;
  auto m = LoadGpuCostModel(Options("llama-2-70b", "a100-80g", 2, dir_), &p);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_FALSE(p.analytic_fallback) << p.note;
  EXPECT_EQ(p.files.size(), 4u) << p.note;  // mlp, all_reduce, attention, cpu overheads
  std::printf("%s\n", p.note.c_str());
  for (const SeqWork w : {SeqWork{2048, 0}, SeqWork{1, 576}}) {
    const StepCost c = (*m)->Cost(std::vector<SeqWork>{w});
    std::printf(
        "{%d, %d}: linear %.2f attention %.2f all-reduce %.2f lm-head %.2f overhead %.2f = %.2f "
        "ms\n",
        w.num_tokens, w.context_before, 1e3 * c.linear_s, 1e3 * c.attention_s, 1e3 * c.all_reduce_s,
        1e3 * c.lm_head_s, 1e3 * c.overhead_s, 1e3 * c.total());
  }
  const StepCost c = (*m)->Cost(std::vector<SeqWork>{{2048, 0}});
  EXPECT_GT(c.all_reduce_s, 0);
  EXPECT_GT(c.attention_s, 0.02 * c.total());
}

TEST_F(WithSharedData, AttentionFitMatchesItsTableAndTheFrozenReference) {
  Result<AttentionFit> fit =
      FitAttention(dir_ + "/vidur_profiling/legacy_e2d00e9/a100/attention.csv.xz");
  ASSERT_TRUE(fit.ok()) << fit.status().message();
  std::printf(
      "attention fit: %d prefill rows median |err| %.1f%% p90 %.1f%%; %d decode rows "
      "median %.1f%% p90 %.1f%%\n",
      fit->prefill_rows, 100 * fit->prefill_median_error, 100 * fit->prefill_p90_error,
      fit->decode_rows, 100 * fit->decode_median_error, 100 * fit->decode_p90_error);
  const AttentionCoeffs& a = fit->coeffs;
  std::printf(
      "  prefill floor %.4g us, %.4g s/q-byte, causal %.4g TFLOP/s, prefix %.4g TFLOP/s;"
      " decode floor %.4g us, KV %.4g GB/s\n",
      1e6 * a.prefill_floor_s, a.prefill_s_per_q_byte, a.causal_flops_per_s / 1e12,
      a.prefix_flops_per_s / 1e12, 1e6 * a.decode_floor_s, a.kv_bytes_per_s / 1e9);
  EXPECT_LT(fit->prefill_median_error, 0.10);
  EXPECT_LT(fit->decode_median_error, 0.15);
  // The fallback's frozen copy must stay the fit's values (to 3 digits).
  const AttentionCoeffs r = ReferenceA100Attention();
  const double pairs[][2] = {{a.prefill_floor_s, r.prefill_floor_s},
                             {a.prefill_s_per_q_byte, r.prefill_s_per_q_byte},
                             {a.causal_flops_per_s, r.causal_flops_per_s},
                             {a.prefix_flops_per_s, r.prefix_flops_per_s},
                             {a.decode_floor_s, r.decode_floor_s},
                             {a.kv_bytes_per_s, r.kv_bytes_per_s}};
  for (const auto& [fitted, frozen] : pairs) EXPECT_NEAR(frozen / fitted, 1, 0.005);
}

TEST_F(WithSharedData, OverheadFitMatchesTheFrozenReference) {
  const std::string path = dir_ + "/vidur_profiling/legacy_7f14d6a/a100/cpu_overheads.csv";
  Result<OverheadFit> all = FitCpuOverhead(path, "no such model: use every row");
  ASSERT_TRUE(all.ok()) << all.status().message();
  EXPECT_FALSE(all->model_rows);
  EXPECT_EQ(all->rows, 78);
  EXPECT_NEAR(ReferenceOverhead().step_s / all->coeffs.step_s, 1, 0.005);
  EXPECT_NEAR(ReferenceOverhead().per_seq_s / all->coeffs.per_seq_s, 1, 0.005);
  Result<OverheadFit> own = FitCpuOverhead(path, "meta-llama/Llama-2-70b-hf");
  ASSERT_TRUE(own.ok());
  EXPECT_TRUE(own->model_rows);
  EXPECT_EQ(own->rows, 13);
}

TEST_F(WithSharedData, AnalyticFallbackIsRoughlyTheProfile) {
  // The fallback is for running without data, not for results; still, it
  // should land within 35% of the profiled model on common steps.
  for (const char* gpu : {"a100-80g", "h100-80g"}) {
    for (const char* model : {"llama-2-7b", "internlm-20b"}) {
      auto prof = LoadGpuCostModel(Options(model, gpu, 1, dir_));
      auto ana = LoadGpuCostModel(Options(model, gpu, 1, ""));
      ASSERT_TRUE(prof.ok() && ana.ok());
      const std::vector<std::vector<SeqWork>> steps = {
          {{1, 1000}}, std::vector<SeqWork>(64, SeqWork{1, 1000}), {{512, 0}}, {{2048, 0}}};
      for (const auto& s : steps) {
        const double p = (*prof)->StepTime(s), a = (*ana)->StepTime(s);
        std::printf("%s %s %zu seqs, %d tokens: profile %.2f ms, analytic %.2f ms (%+.0f%%)\n", gpu,
                    model, s.size(), s[0].num_tokens, 1e3 * p, 1e3 * a, 100 * (a / p - 1));
        EXPECT_NEAR(a / p, 1, 0.35);
      }
    }
  }
}

}  // namespace
}  // namespace cacheopt
