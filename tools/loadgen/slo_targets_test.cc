#include "loadgen/slo_targets.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "cacheopt/metrics/slo.h"
#include "calibration/cpu_cost_profile.h"

namespace cacheopt::bench {
namespace {

using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(SloTargetsTest, DefaultsWithoutTheProbe) {
  auto t = ResolveSloTargets({}, std::nullopt, nullptr);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_THAT(t->ttft_s, ElementsAre(1.0, 1.0, 1.0));  // the definition's floor
  EXPECT_FALSE(t->tbt_s);
  EXPECT_THAT(t->source, HasSubstr("TBT unknown"));
}

TEST(SloTargetsTest, TbtFromTheProbeOrTheSoloDecodeStep) {
  auto probe = ResolveSloTargets({}, 10.0, nullptr);
  ASSERT_TRUE(probe->tbt_s);
  EXPECT_THAT(*probe->tbt_s, ElementsAre(DoubleNear(0.04, 1e-12), DoubleNear(0.08, 1e-12), DoubleNear(0.16, 1e-12)));
  EXPECT_THAT(probe->source, HasSubstr("probe"));
  SloFlags f;
  f.solo_decode_ms = 5;  // wins over the probe
  auto solo = ResolveSloTargets(f, 10.0, nullptr);
  EXPECT_THAT(*solo->tbt_s, ElementsAre(DoubleNear(0.02, 1e-12), DoubleNear(0.04, 1e-12), DoubleNear(0.08, 1e-12)));
}

TEST(SloTargetsTest, ExplicitTargetsAndScale) {
  SloFlags f;
  f.ttft_ms = "250";
  f.tbt_ms = "40:80:160";
  f.slo_scale = 2;
  auto t = ResolveSloTargets(f, 10.0, nullptr);
  ASSERT_TRUE(t.ok());
  EXPECT_THAT(t->ttft_s, ElementsAre(DoubleNear(0.5, 1e-12), DoubleNear(0.5, 1e-12), DoubleNear(0.5, 1e-12)));
  EXPECT_THAT(*t->tbt_s, ElementsAre(DoubleNear(0.08, 1e-12), DoubleNear(0.16, 1e-12), DoubleNear(0.32, 1e-12)));
  EXPECT_THAT(t->source, HasSubstr("--tbt-slo-ms"));
}

TEST(SloTargetsTest, PerRequestTargetsFromACostProfileAreTheSimulators) {
  CpuCostProfile prof;
  prof.model_name = "stories260K";
  prof.machine = "Test CPU";
  prof.threads = 2;
  prof.n_layers = 5;
  prof.dim = 64;
  prof.n_heads = 8;
  prof.n_kv_heads = 4;
  prof.hidden_dim = 172;
  prof.vocab_size = 512;
  prof.context = 512;
  prof.kv_bytes_per_token = 1280;
  // Slow enough that 5 x the prefill of 300 tokens is over the 1 s floor.
  prof.coeffs = {1e-3, 1e-3, 1e-9, 1e-4};
  prof.copy_bytes_per_s = 5e9;
  const std::string path =
      (std::filesystem::temp_directory_path() / ("cacheopt_bench_slo_" + std::to_string(::getpid()) + ".json"))
          .string();
  ASSERT_TRUE(WriteCpuCostProfile(prof, path).ok());
  std::vector<PlannedRequest> plan(3);
  plan[0].prompt_tokens = 10;
  plan[0].slo_class = 0;
  plan[1].prompt_tokens = 300;
  plan[1].slo_class = 2;
  plan[2].prompt_tokens = 50;
  plan[2].slo_class = 1;
  SloFlags f;
  f.cost_model = path;
  f.slo_scale = 1.5;
  auto t = ResolveSloTargets(f, 99.0, &plan);  // the probe's step is not used
  ASSERT_TRUE(t.ok()) << t.status().message();
  ASSERT_EQ(t->request_ttft_s.size(), 3u);
  ASSERT_EQ(t->request_tbt_s.size(), 3u);
  EXPECT_TRUE(t->tbt_known());
  EXPECT_THAT(t->source, HasSubstr("as the simulator assigns them"));
  const auto cost = MakeProfiledCostModel(prof);
  SloOptions sim;
  sim.slo_scale = 1.5;
  for (size_t i = 0; i < plan.size(); ++i) {
    RequestSpec spec;
    spec.prompt_tokens = plan[i].prompt_tokens;
    spec.slo_class = static_cast<SloClass>(plan[i].slo_class);
    AssignSlo(&spec, *cost, sim);
    EXPECT_DOUBLE_EQ(t->Ttft(i, plan[i].slo_class), spec.ttft_slo_s);
    EXPECT_DOUBLE_EQ(*t->Tbt(i, plan[i].slo_class), spec.tbt_slo_s);
  }
  EXPECT_DOUBLE_EQ(t->Ttft(0, 0), 1.5);  // the floor x slo-scale
  EXPECT_GT(t->Ttft(1, 2), 1.5);         // 5 x a prefill over 0.2 s
  EXPECT_NEAR(*t->Tbt(0, 0), 4 * cost->SoloDecodeTime(10) * 1.5, 1e-12);

  // An explicit --tbt-slo-ms still wins over the profile.
  f.tbt_ms = "50";
  auto explicit_tbt = ResolveSloTargets(f, std::nullopt, &plan);
  ASSERT_TRUE(explicit_tbt.ok());
  EXPECT_TRUE(explicit_tbt->request_tbt_s.empty());
  EXPECT_DOUBLE_EQ(*explicit_tbt->Tbt(1, 2), 0.075);
  EXPECT_EQ(explicit_tbt->request_ttft_s.size(), 3u);
  std::filesystem::remove(path);

  SloFlags missing;
  missing.cost_model = path;
  EXPECT_THAT(ResolveSloTargets(missing, std::nullopt, nullptr).status().message(), HasSubstr("--cost-model"));
  missing.solo_decode_ms = 3;
  EXPECT_THAT(ResolveSloTargets(missing, std::nullopt, nullptr).status().message(), HasSubstr("not both"));
}

TEST(SloTargetsTest, BadFlags) {
  SloFlags both;
  both.tbt_ms = "50";
  both.solo_decode_ms = 5;
  EXPECT_THAT(ResolveSloTargets(both, std::nullopt, nullptr).status().message(), HasSubstr("not both"));
  for (const char* bad : {"1:2", "1:2:3:4", "a", "0", "-5", "1:2:", ":1:2", "1::2"}) {
    auto r = ParsePerClassMs(bad, "--tbt-slo-ms");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_THAT(r.status().message(), HasSubstr("--tbt-slo-ms expects milliseconds > 0")) << bad;
  }
  SloFlags scale;
  scale.slo_scale = 0;
  EXPECT_THAT(ResolveSloTargets(scale, std::nullopt, nullptr).status().message(), HasSubstr("--slo-scale"));
}

}  // namespace
}  // namespace cacheopt::bench
