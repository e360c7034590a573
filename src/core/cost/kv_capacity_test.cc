#include "cacheopt/cost/kv_capacity.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace cacheopt {
namespace {

TEST(KvCapacityTest, Llama7bOnA100FortyIsAboutFortyFiveThousandTokens) {
  // 40 GiB x 0.9 - 13.5 GB weights - ~1.5 GB activations and runtime, over
  // 512 KiB per token: ~45k tokens (~2800 blocks of 16).
  const int64_t tokens = KvCapacityTokens(*FindModel("llama-2-7b"), *FindGpu("a100-40g"), 1, 0.9);
  std::printf("llama-2-7b on a100-40g at 0.9: %lld KV tokens\n", static_cast<long long>(tokens));
  EXPECT_GT(tokens, 42000);
  EXPECT_LT(tokens, 48000);
}

TEST(KvCapacityTest, GrowsWithUtilizationAndTp) {
  const ModelSpec m = *FindModel("internlm-20b");
  const GpuSpec g = *FindGpu("a100-80g");
  EXPECT_GT(KvCapacityTokens(m, g, 1, 0.95), KvCapacityTokens(m, g, 1, 0.9));
  // TP 2: half the weights and half the KV per token on each device.
  EXPECT_GT(KvCapacityTokens(m, g, 2, 0.9), 2 * KvCapacityTokens(m, g, 1, 0.9));
  EXPECT_GT(KvCapacityTokens(m, g, 1, 0.9), 20000);  // ~29k: a pool that fills up
}

TEST(KvCapacityTest, ClampsAtZeroWhenWeightsDoNotFit) {
  const ModelSpec m = *FindModel("llama-2-70b");
  EXPECT_EQ(KvCapacityTokens(m, *FindGpu("a100-80g"), 1, 0.9), 0);
  EXPECT_GT(KvCapacityTokens(m, *FindGpu("a100-80g"), 2, 0.9), 0);
  EXPECT_EQ(KvCapacityTokens(m, *FindGpu("a100-80g"), 0, 0.9), 0);
}

TEST(KvCapacityTest, ActivationEstimateIsSmallNextToWeights) {
  const ModelSpec m = *FindModel("llama-2-7b");
  const int64_t act = ActivationBytesEstimate(m, 1);
  EXPECT_GT(act, 1LL << 30);
  EXPECT_LT(act, 3LL << 30);
}

}  // namespace
}  // namespace cacheopt
