#include "cacheopt/cost/gpu_spec.h"

#include <gtest/gtest.h>

namespace cacheopt {
namespace {

TEST(GpuSpecTest, FindsEveryRegisteredGpu) {
  ASSERT_EQ(GpuNames().size(), 3u);
  for (const std::string& name : GpuNames()) {
    Result<GpuSpec> g = FindGpu(name);
    ASSERT_TRUE(g.ok()) << name;
    EXPECT_GT(g->memory_bytes, 0);
    EXPECT_GT(g->hbm_bytes_per_s, 1e12);
    EXPECT_GT(g->dense_flops, 1e14);
    EXPECT_GT(g->host_link_bytes_per_s, 1e10);
    EXPECT_GT(g->host_copy_latency_s, 0);
    EXPECT_GE(g->memory_slowdown_vs_profile, 1.0);
  }
}

TEST(GpuSpecTest, UnknownNameListsValidOnes) {
  Result<GpuSpec> g = FindGpu("tpu-v5");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(g.status().message().find("a100-40g"), std::string::npos);
  EXPECT_NE(g.status().message().find("h100-80g"), std::string::npos);
}

TEST(GpuSpecTest, A100FortyIsSlowerMemoryOnTheSameProfiles) {
  const GpuSpec a40 = *FindGpu("a100-40g"), a80 = *FindGpu("a100-80g");
  EXPECT_EQ(a40.profile_folder, "a100");
  EXPECT_EQ(a80.profile_folder, "a100");
  EXPECT_NEAR(a40.memory_slowdown_vs_profile, 1.94 / 1.555, 1e-9);
  EXPECT_EQ(a80.memory_slowdown_vs_profile, 1.0);
  EXPECT_EQ(a40.memory_bytes * 2, a80.memory_bytes);
  EXPECT_EQ(FindGpu("h100-80g")->network_folder, "h100_dgx");
}

}  // namespace
}  // namespace cacheopt
