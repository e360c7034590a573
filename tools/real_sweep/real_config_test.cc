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
  EXPECT_EQ(c->RunSeeds(), std::vector<uint64_t>{1});  // seed alone
}

TEST(RealConfigTest, CapacitySearch) {
  auto c = ParseRealExperimentConfig(
      R"({"capacity_search": {"policies": ["cacheopt", "vllm"], "low": 0.5, "high": 1.5, "iterations": 4}})", "c.json");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->capacity_search.policies, (std::vector<std::string>{"cacheopt", "vllm"}));
  EXPECT_EQ(c->capacity_search.high, 1.5);
  EXPECT_EQ(c->capacity_search.iterations, 4);
  EXPECT_EQ(c->capacity_search.target, 0.9);
  auto bad = ParseRealExperimentConfig(R"({"capacity_search": {"low": 2, "high": 1}})", "c.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("low must be below high"), std::string::npos);
}

TEST(RealConfigTest, SeedsGiveOneRunEach) {
  auto c = ParseRealExperimentConfig(R"({"seed": 4, "seeds": [1, 2, 3]})", "c.json");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->RunSeeds(), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(c->seed, 4u);  // the capacity search's and the device tier's
}

TEST(RealConfigTest, Warmup) {
  auto d = ParseRealExperimentConfig("{}", "c.json");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->warmup.multiple, 0.9);
  EXPECT_EQ(d->warmup.requests, 0);
  EXPECT_EQ(d->warmup.seed, 1000u);
  auto c = ParseRealExperimentConfig(R"({"warmup": {"multiple": 0.7, "requests": 50, "seed": 9}})", "c.json");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->warmup.multiple, 0.7);
  EXPECT_EQ(c->warmup.requests, 50);
  EXPECT_EQ(c->warmup.seed, 9u);
  // Off: the seed may then be anything.
  EXPECT_TRUE(ParseRealExperimentConfig(R"({"seeds": [1, 2], "warmup": {"multiple": 0, "seed": 2}})", "c.json").ok());
}

TEST(RealConfigTest, SpeedCheckIsOnUnlessTurnedOff) {
  auto d = ParseRealExperimentConfig("{}", "c.json");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->speed_check);
  auto c = ParseRealExperimentConfig(R"({"speed_check": false})", "c.json");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_FALSE(c->speed_check);
}

TEST(RealConfigTest, CommittedConfigsParse) {
  for (const char* name : {"real", "real-quick", "real-capacity"}) {
    auto c = ReadRealExperimentConfig(std::string(CACHEOPT_SOURCE_DIR) + "/experiments/" + name + ".json");
    ASSERT_TRUE(c.ok()) << c.status().message();
    EXPECT_EQ(c->RunSeeds().size(), 3u) << name;
    EXPECT_EQ(c->fidelity_policies.size(), 5u) << name;
    EXPECT_GT(c->warmup.multiple, 0) << name;
  }
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
      {R"({"seeds": []})", "seeds"},
      {R"({"capacity_search": {"policies": ["nope"]}})", "capacity_search.policies"},
      {R"({"seeds": [-1]})", "seeds"},
      {R"({"warmup": {"multiple": -1}})", "warmup.multiple"},
      {R"({"warmup": {"rate": 1}})", "unknown key"},
      {R"({"speed_check": 1})", "speed_check"},
      {R"({"seeds": [1, 2], "warmup": {"seed": 2}})", "warmup.seed 2 is one of the runs' seeds"},
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
