#include "cacheopt/cost/model_spec.h"

#include <gtest/gtest.h>

namespace cacheopt {
namespace {

TEST(ModelSpecTest, FindsEveryRegisteredModel) {
  for (const std::string& name : ModelNames()) {
    Result<ModelSpec> m = FindModel(name);
    ASSERT_TRUE(m.ok()) << name;
    EXPECT_EQ(m->name, name);
    EXPECT_EQ(m->hidden % m->heads, 0) << name;
    EXPECT_EQ(m->heads % m->kv_heads, 0) << name;
  }
  EXPECT_EQ(ModelNames().size(), 8u);
}

TEST(ModelSpecTest, UnknownNameListsValidOnes) {
  Result<ModelSpec> m = FindModel("gpt-5");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(m.status().message().find("gpt-5"), std::string::npos);
  EXPECT_NE(m.status().message().find("llama-2-7b"), std::string::npos);
  EXPECT_NE(m.status().message().find("phi-2"), std::string::npos);
}

TEST(ModelSpecTest, ShapesMatchTheDesignTable) {
  const ModelSpec m = *FindModel("llama-2-70b");
  EXPECT_EQ(m.layers, 80);
  EXPECT_EQ(m.kv_heads, 8);
  EXPECT_EQ(m.ffn, 28672);
  EXPECT_EQ(m.vocab, 32000);  // real vocabulary, not Vidur's padded 32768
  EXPECT_EQ(m.head_dim(), 128);
  EXPECT_EQ(m.profile_name, "meta-llama/Llama-2-70b-hf");
  EXPECT_FALSE(FindModel("phi-2")->gated_mlp);
}

TEST(ModelSpecTest, KvBytesPerToken) {
  EXPECT_EQ(FindModel("llama-2-7b")->KvBytesPerToken(1), 512 * 1024);
  EXPECT_EQ(FindModel("llama-2-7b")->KvBytesPerToken(2), 256 * 1024);
  // InternLM-20B: no GQA, ~1.2 MB per token.
  EXPECT_EQ(FindModel("internlm-20b")->KvBytesPerToken(1), 2 * 60 * 40 * 128 * 2);
  EXPECT_NEAR(FindModel("internlm-20b")->KvBytesPerToken(1) / 1e6, 1.2, 0.03);
  // Llama-2-70B GQA: 8 KV heads, 320 KiB per token, split by TP.
  EXPECT_EQ(FindModel("llama-2-70b")->KvBytesPerToken(1), 320 * 1024);
  EXPECT_EQ(FindModel("llama-2-70b")->KvBytesPerToken(4), 80 * 1024);
  // More shards than KV heads: each shard keeps a replica of one head.
  EXPECT_EQ(FindModel("llama-2-70b")->KvBytesPerToken(16), 2 * 80 * 1 * 128 * 2);
}

TEST(ModelSpecTest, ParamCountsMatchPublishedSizes) {
  // Published sizes; biases are left out, so allow 1%.
  const std::pair<const char*, double> published[] = {
      {"llama-2-7b", 6.74e9},    {"llama-2-70b", 68.98e9}, {"llama-3-8b", 8.03e9},
      {"codellama-34b", 33.7e9}, {"phi-2", 2.78e9},        {"qwen-72b", 72.3e9}};
  for (const auto& [name, params] : published) {
    EXPECT_NEAR(FindModel(name)->ParamCount() / params, 1.0, 0.01) << name;
  }
}

}  // namespace
}  // namespace cacheopt
