#include "sweep/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cacheopt/policy_registry.h"
#include "cacheopt/util/names.h"
#include "core/sched/scheduler.h"

namespace cacheopt::experiment {
namespace {

using ::testing::HasSubstr;

Json Base() {
  return Json::parse(R"({
    "name": "t",
    "seeds": [1, 2],
    "requests": 100,
    "setups": [{"model": "llama-2-7b", "gpu": "a100-40g", "trace": "synthetic"}],
    "policies": [{"policy": "vllm"}, {"policy": "sarathi", "token_budget": 512}]
  })");
}

std::string Error(const Json& j, const std::string& shared = "") {
  auto c = ParseExperimentConfig(j, shared, "x");
  EXPECT_FALSE(c.ok()) << j.dump();
  return c.ok() ? "" : c.status().message();
}

TEST(ExperimentConfig, ParsesDefaults) {
  auto c = ParseExperimentConfig(Base(), "", "x");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->name, "t");
  EXPECT_EQ(c->seeds, (std::vector<uint64_t>{1, 2}));
  ASSERT_EQ(c->setups.size(), 1u);
  EXPECT_EQ(c->setups[0].name, "llama-2-7b/a100-40g/synthetic/default");
  EXPECT_EQ(c->setups[0].requests, 100);
  EXPECT_EQ(c->setups[0].trace_path, "synthetic");
  ASSERT_EQ(c->policies.size(), 2u);
  EXPECT_EQ(c->policies[1].label, "sarathi-512");
  EXPECT_EQ(c->policies[1].token_budget, 512);
  EXPECT_EQ(c->reference, "vllm");
  EXPECT_FALSE(c->load_curves.enabled);
  EXPECT_FALSE(c->capacity.enabled);
  EXPECT_EQ(c->capacity.lo_rps, 0.05);
  EXPECT_EQ(c->capacity.hi_rps, 64);
}

TEST(ExperimentConfig, SectionsAndFilters) {
  Json j = Base();
  j["load_curves"] = Json::parse(R"({"multiples": [0.5, 1.5], "policies": ["vllm"]})");
  j["capacity"] = Json::parse(R"({"definitions": ["stall"], "rel_width": 0.05})");
  j["slo_scale"] = Json::parse(R"({"values": [0.5, 2]})");
  j["scale"] = Json::parse(R"({"requests": [50, 100], "pool_blocks": [100]})");
  auto c = ParseExperimentConfig(j, "", "x");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->load_curves.multiples, (std::vector<double>{0.5, 1.5}));
  EXPECT_EQ(c->load_curves.policies, (std::vector<std::string>{"vllm"}));
  EXPECT_EQ(c->load_curves.setups.size(), 1u);
  EXPECT_EQ(c->capacity.definitions, (std::vector<CapacityDefinition>{CapacityDefinition::kStall}));
  EXPECT_EQ(c->capacity.policies.size(), 2u);  // all by default
  EXPECT_EQ(c->slo_scale.load_multiple, 1.0);
  EXPECT_EQ(c->scale.setup, c->setups[0].name);
  EXPECT_EQ(c->scale.policies, (std::vector<std::string>{"vllm"}));
  EXPECT_EQ(c->scale.seed, 1u);
}

TEST(ExperimentConfig, AblationAndSensitivityVariants) {
  Json j = Base();
  j["policies"].push_back(Json::parse(R"({"label": "v1", "policy": "vllm-v1", "knobs": {"watermark": 0.01}})"));
  j["ablation"] = Json::parse(R"({"base": "v1", "knob": "reserve_full_prompt", "switches": ["0"],
                                  "variants": [{"name": "wm", "knobs": {"watermark": 0.05}}]})");
  j["sensitivity"] = Json::parse(R"({"base": "v1", "sweeps": [{"knob": "token_budget", "values": [256, "512"]},
                                                              {"knob": "block_size", "values": [8, 32]}]})");
  auto c = ParseExperimentConfig(j, "", "x");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const auto& a = c->ablation;
  ASSERT_EQ(a.variants.size(), 2u);
  EXPECT_EQ(a.names[0], "no-0");
  EXPECT_EQ(a.variants[0].knobs.at("reserve_full_prompt"), "0");
  EXPECT_EQ(a.variants[0].knobs.at("watermark"), "0.01");  // the base's knobs stay
  EXPECT_EQ(a.variants[1].label, "v1/wm");
  EXPECT_EQ(a.variants[1].knobs.at("watermark"), "0.05");
  const auto& s = c->sensitivity;
  ASSERT_EQ(s.sweeps.size(), 2u);
  EXPECT_EQ(s.sweeps[0].values, (std::vector<std::string>{"256", "512"}));
  EXPECT_EQ(s.sweeps[0].variants[0].knobs.at("token_budget"), "256");
  EXPECT_EQ(s.sweeps[1].variants[1].block_size, 32);
  EXPECT_EQ(s.sweeps[1].variants[1].knobs.count("block_size"), 0u);
  EXPECT_NE(s.sweeps[1].variants[0].Key(), s.sweeps[1].variants[1].Key());
}

TEST(ExperimentConfig, KnobValuesAsStrings) {
  Json j = Base();
  j["policies"][0]["knobs"] = Json::parse(R"({"disable": ["padding", "lending"], "alpha": 0.95, "x": true})");
  auto c = ParseExperimentConfig(j, "", "x");
  ASSERT_TRUE(c.ok()) << c.status().message();  // names are checked by the policy, later
  EXPECT_EQ(c->policies[0].knobs.at("disable"), "padding,lending");
  EXPECT_EQ(c->policies[0].knobs.at("alpha"), "0.95");
  EXPECT_EQ(c->policies[0].knobs.at("x"), "true");
  EXPECT_EQ(c->policies[0].KnobText(), "alpha=0.95;disable=padding,lending;x=true");
}

TEST(ExperimentConfig, UnknownTopLevelKeyListsAllowed) {
  Json j = Base();
  j["sedes"] = 3;
  std::string e = Error(j);
  EXPECT_THAT(e, HasSubstr("unknown key 'sedes'"));
  EXPECT_THAT(e, HasSubstr("allowed: " + JoinNames(ConfigKeys())));
}

TEST(ExperimentConfig, UnknownNestedKeysNameTheirPath) {
  Json j = Base();
  j["setups"][0]["arival"] = "poisson";
  EXPECT_THAT(Error(j), HasSubstr("setups[0]: unknown key 'arival'; allowed: name, model, gpu, tp, trace, arrival,"));
  j = Base();
  j["policies"][1]["budget"] = 5;
  EXPECT_THAT(Error(j), HasSubstr("policies[1]: unknown key 'budget'; allowed: label, policy, knobs, token_budget"));
  j = Base();
  j["capacity"] = Json::parse(R"({"definition": "token"})");
  EXPECT_THAT(Error(j), HasSubstr("capacity: unknown key 'definition'; allowed: definitions, lo_rps"));
  j = Base();
  j["load_curves"] = Json::parse(R"({"multiple": [1]})");
  EXPECT_THAT(Error(j), HasSubstr("load_curves: unknown key 'multiple'; allowed: multiples, policies, setups"));
  j = Base();
  j["sensitivity"] = Json::parse(R"({"base": "vllm", "sweeps": [{"knob": "a", "value": [1]}]})");
  EXPECT_THAT(Error(j), HasSubstr("sensitivity.sweeps[0]: unknown key 'value'; allowed: knob, values"));
}

TEST(ExperimentConfig, UnknownPolicyListsRegisteredOnes) {
  Json j = Base();
  j["policies"][1]["policy"] = "nope";
  std::string e = Error(j);
  EXPECT_THAT(e, HasSubstr("policies[1].policy: unknown policy 'nope'; valid: " + JoinNames(PolicyNames())));
}

TEST(ExperimentConfig, UnknownModelGpuChoice) {
  Json j = Base();
  j["setups"][0]["model"] = "gpt-5";
  EXPECT_THAT(Error(j), HasSubstr("setups[0].model: unknown model 'gpt-5'; valid: llama-2-7b"));
  j = Base();
  j["setups"][0]["gpu"] = "tpu";
  EXPECT_THAT(Error(j), HasSubstr("setups[0].gpu: unknown gpu 'tpu'"));
  j = Base();
  j["setups"][0]["arrival"] = "bursty";
  EXPECT_THAT(Error(j), HasSubstr("setups[0].arrival: unknown value 'bursty'; allowed: replay, poisson, gamma"));
  j = Base();
  j["setups"][0]["preemption_mode"] = "evict";
  EXPECT_THAT(Error(j), HasSubstr("setups[0].preemption_mode: unknown value 'evict'; allowed: recompute, swap"));
  j = Base();
  j["capacity"] = Json::parse(R"({"definitions": ["token", "p99"]})");
  EXPECT_THAT(Error(j), HasSubstr("capacity.definitions[1]: unknown definition 'p99'; allowed: token, stall"));
}

TEST(ExperimentConfig, NumericRanges) {
  struct Case {
    const char* patch;
    const char* message;
  };
  const Case cases[] = {
      {R"({"requests": 0})", "requests: must be in [1, 10000000], got 0"},
      {R"({"seeds": []})", "seeds: must be a non-empty list of integers"},
      {R"({"seeds": [1, -2]})", "seeds[1]: must be in [0, "},
      {R"({"seeds": [1, 1]})", "seeds[1]: seed 1 is listed twice"},
      {R"({"load_curves": {"multiples": [1, 0]}})", "load_curves.multiples[1]: must be in (0, 100], got 0"},
      {R"({"capacity": {"target": 1.5}})", "capacity.target: must be in (0, 1], got 1.5"},
      {R"({"capacity": {"lo_rps": 2, "hi_rps": 1}})", "capacity.hi_rps: must be above lo_rps (2), got 1"},
      {R"({"slo_scale": {"values": [-1]}})", "slo_scale.values[0]: must be in (0, 1000], got -1"},
      {R"({"slo_scale": {}})", "slo_scale.values: is required"},
      {R"({"scale": {"requests": [0]}})", "scale.requests[0]: must be in [1, 10000000], got 0"},
      {R"({"anatomy": {"multiple": "high"}})", "anatomy.multiple: must be a number, got string \"high\""},
  };
  for (const Case& c : cases) {
    Json j = Base();
    j.merge_patch(Json::parse(c.patch));
    EXPECT_THAT(Error(j), HasSubstr(c.message)) << c.patch;
  }
  Json j = Base();
  j["setups"][0]["tp"] = 0;
  EXPECT_THAT(Error(j), HasSubstr("setups[0].tp: must be in [1, 64], got 0"));
  j = Base();
  j["setups"][0]["arrival"] = "gamma";
  j["setups"][0]["arrival_cv"] = 0;
  EXPECT_THAT(Error(j), HasSubstr("setups[0].arrival_cv: must be in (0, 100], got 0"));
  j = Base();
  j["setups"][0]["arrival_cv"] = 2;
  EXPECT_THAT(Error(j), HasSubstr("setups[0].arrival_cv: applies only to \"arrival\": \"gamma\""));
  j = Base();
  j["setups"][0]["gpu_memory_utilization"] = 1.2;
  EXPECT_THAT(Error(j), HasSubstr("setups[0].gpu_memory_utilization: must be in (0, 1], got 1.2"));
  j = Base();
  j["policies"][0]["token_budget"] = 0;
  EXPECT_THAT(Error(j), HasSubstr("policies[0].token_budget: must be in [1, 1000000], got 0"));
  j = Base();
  j["sensitivity"] = Json::parse(R"({"base": "vllm", "sweeps": [{"knob": "block_size", "values": [16, 0]}]})");
  EXPECT_THAT(Error(j), HasSubstr("sensitivity.sweeps[0].values[1]: block_size must be an integer in [1, 1024]"));
}

TEST(ExperimentConfig, ReferencesToLabelsAndSetups) {
  Json j = Base();
  j["reference"] = "vllm-v1";
  EXPECT_THAT(Error(j), HasSubstr("reference: unknown policy label 'vllm-v1'"));
  EXPECT_THAT(Error(j), HasSubstr("valid: vllm, sarathi-512"));
  j = Base();
  j["load_curves"] = Json::parse(R"({"policies": ["vllm", "sarathi"]})");
  EXPECT_THAT(Error(j), HasSubstr("load_curves.policies[1]: unknown policy label 'sarathi'; valid: vllm, sarathi-512"));
  j = Base();
  j["capacity"] = Json::parse(R"({"setups": ["nope"]})");
  EXPECT_THAT(Error(j), HasSubstr("capacity.setups[0]: unknown setup 'nope'; valid: llama-2-7b/a100-40g/synthetic/default"));
  j = Base();
  j["ablation"] = Json::parse(R"({"base": "cacheopt", "switches": ["padding"]})");
  EXPECT_THAT(Error(j), HasSubstr("ablation.base: unknown policy label 'cacheopt'"));
  j = Base();
  j["ablation"] = Json::parse(R"({"base": "vllm"})");
  EXPECT_THAT(Error(j), HasSubstr("ablation: needs \"switches\" or \"variants\""));
  j = Base();
  j["policies"].push_back(Json::parse(R"({"policy": "vllm"})"));
  EXPECT_THAT(Error(j), HasSubstr("policies[2]: label 'vllm' is used twice"));
  j = Base();
  j["setups"].push_back(j["setups"][0]);
  EXPECT_THAT(Error(j), HasSubstr("setups[1]: setup name 'llama-2-7b/a100-40g/synthetic/default' is used twice"));
}

TEST(ExperimentConfig, MissingTraceNamesThePath) {
  Json j = Base();
  j["setups"][0]["trace"] = "/nonexistent/trace.csv";
  std::string e = Error(j);
  EXPECT_THAT(e, HasSubstr("setups[0].trace: trace '/nonexistent/trace.csv' not found (looked at /nonexistent/trace.csv)"));
  EXPECT_THAT(e, HasSubstr("named traces: azure_conv, splitwise_conv, sharegpt, bwb, arxiv, mooncake, synthetic"));
  j = Base();
  j["setups"][0]["trace"] = "sharegpt";
  EXPECT_THAT(Error(j, ""), HasSubstr("setups[0].trace: trace 'sharegpt' lives in the shared data folder, which was "
                                      "not found"));
  j = Base();
  j["setups"][0]["trace"] = "sharegpt";
  std::string empty_shared = ::testing::TempDir() + "/no_shared_data";
  std::filesystem::create_directories(empty_shared + "/data");
  EXPECT_THAT(Error(j, empty_shared), HasSubstr("setups[0].trace: trace 'sharegpt': " + empty_shared +
                                                "/data/vidur_processed_traces/sharegpt_8k"));
}

TEST(ExperimentConfig, RealTraceNamesResolveUnderShared) {
  std::string shared = CACHEOPT_SHARED_DIR;
  if (!std::filesystem::exists(shared + "/data/azure_llm_2023")) GTEST_SKIP() << "no ../shared";
  Json j = Base();
  j["setups"][0]["trace"] = "azure_conv";
  auto c = ParseExperimentConfig(j, shared, "x");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_THAT(c->setups[0].trace_path, HasSubstr("AzureLLMInferenceTrace_conv.csv"));
}

TEST(ExperimentConfig, LoadFilePrefixesErrorsWithThePath) {
  std::string path = ::testing::TempDir() + "/bad_experiment.json";
  {
    std::ofstream f(path);
    f << R"({"setups": [], "policies": []})";
  }
  auto c = LoadExperimentConfig(path, "");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr(path + ": setups: must be a non-empty list"));
  {
    std::ofstream f(path);
    f << "{not json";
  }
  c = LoadExperimentConfig(path, "");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("not valid JSON"));
  EXPECT_THAT(LoadExperimentConfig(path + ".missing", "").status().message(), HasSubstr("not found"));
}

TEST(ExperimentConfig, ClusterSetupsNameTheirRouter) {
  const std::string base = R"({"setups": [{"model": "llama-2-7b", "gpu": "a100-40g", "trace": "synthetic", )";
  const std::string tail = R"(}], "policies": [{"policy": "vllm"}]})";
  auto ok = ParseExperimentConfig(Json::parse(base + R"("replicas": 4, "router": "precise-prefix")" + tail), "", "x");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->setups[0].replicas, 4);
  EXPECT_THAT(ok->setups[0].name, HasSubstr("/x4-precise-prefix"));
  auto rr = ParseExperimentConfig(Json::parse(base + R"("replicas": 2)" + tail), "", "x");
  ASSERT_TRUE(rr.ok()) << rr.status().message();
  EXPECT_EQ(rr->setups[0].router, "round-robin");
  auto bad = ParseExperimentConfig(Json::parse(base + R"("replicas": 2, "router": "nearest")" + tail), "", "x");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("setups[0].router: unknown router 'nearest'; valid: round-robin"));
  auto zero = ParseExperimentConfig(Json::parse(base + R"("replicas": 0)" + tail), "", "x");
  ASSERT_FALSE(zero.ok());
  EXPECT_THAT(zero.status().message(), HasSubstr("setups[0].replicas"));
}

TEST(ExperimentConfig, CommittedConfigsParse) {
  std::string shared = CACHEOPT_SHARED_DIR;
  if (!std::filesystem::exists(shared + "/data/azure_llm_2023")) GTEST_SKIP() << "no ../shared";
  for (const char* name : {"default", "quick", "prefix", "prefix-heldout", "cluster", "cluster-quick"}) {
    std::string path = std::string(CACHEOPT_SOURCE_DIR) + "/experiments/" + name + ".json";
    auto c = LoadExperimentConfig(path, shared);
    // Policies still being written (cacheopt, s3) may not be registered yet.
    if (!c.ok() && c.status().message().find("unknown policy") != std::string::npos) continue;
    EXPECT_TRUE(c.ok()) << c.status().message();
  }
}

}  // namespace
}  // namespace cacheopt::experiment
