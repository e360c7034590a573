#include "real_sweep/real_config.h"

#include <gtest/gtest.h>

namespace cacheopt::realexp {
namespace {

TEST(RealConfigTest, ReadsEveryKey) {
  auto c = ParseRealExperimentConfig(R"({
    "description": "d", "model": {"generate": "tiny", "seed": 3}, "trace": "synthetic",
    "length_scale": 4, "requests": 20, "seed": 9, "arrival": "gamma", "arrival_cv": 2,
    "policies": ["vllm", "cacheopt"], "load_multiples": [0.5, 1], "reference_policy": "vllm",
    "working_set_multiple": 2, "server": {"cpus": [0], "threads": 1, "max_concurrency": 8, "max_queue": 16},
    "client": {"cpus": [1]}, "time_limit_s": 30, "profile_max_seconds": 5, "fidelity_policies": ["vllm"]})",
                                      "c.json");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->model_generate, "tiny");
  EXPECT_EQ(c->model_seed, 3u);
  EXPECT_EQ(c->length_scale, 4);
  EXPECT_EQ(c->arrival, "gamma");
  EXPECT_EQ(c->policies.size(), 2u);
  EXPECT_EQ(c->load_multiples[1], 1);
  EXPECT_EQ(c->server_threads, 1);
  EXPECT_EQ(c->client_cpus, std::vector<int>{1});
  EXPECT_EQ(c->fidelity_policies, std::vector<std::string>{"vllm"});
}

TEST(RealConfigTest, DefaultsFromAnEmptyObject) {
  auto c = ParseRealExperimentConfig("{}", "c.json");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->model_generate, "15m");
  EXPECT_EQ(c->length_scale, 8);
  EXPECT_EQ(c->working_set_multiple, 1.5);
  EXPECT_EQ(c->policies.size(), 5u);
}

TEST(RealConfigTest, ErrorsNameTheKey) {
  struct Case {
    const char* text;
    const char* expect;
  };
  const Case cases[] = {
      {R"({"polices": []})", "unknown key 'polices'"},
      {R"({"policies": ["vllm", "nope"]})", "unknown policy 'nope'"},
      {R"({"length_scale": 0.5})", "length_scale"},
      {R"({"model": {"generate": "1t"}})", "model.generate"},
      {R"({"model": {"path": "a.bin", "generate": "15m"}})", "not both"},
      {R"({"server": {"cpus": [-1]}})", "server.cpus"},
      {R"({"fidelity_policies": ["reserve-max"]})", "not in policies"},
      {R"({"load_multiples": []})", "load_multiples"},
      {"[1]", "JSON object"},
      {"{", "not valid JSON"},
  };
  for (const Case& k : cases) {
    auto c = ParseRealExperimentConfig(k.text, "c.json");
    ASSERT_FALSE(c.ok()) << k.text;
    EXPECT_NE(c.status().message().find(k.expect), std::string::npos) << c.status().message();
    EXPECT_EQ(c.status().message().rfind("c.json: ", 0), 0u);
  }
}

}  // namespace
}  // namespace cacheopt::realexp
