#include "sweep/runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cacheopt/policy_registry.h"
#include "core/sched/scheduler.h"
#include "sweep/ceilings.h"
#include "sweep/outputs.h"
#include "sweep/results_csv.h"

namespace cacheopt::experiment {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Json Tiny() {
  return Json::parse(R"({
    "name": "tiny",
    "seeds": [1],
    "requests": 120,
    "setups": [{"name": "syn", "model": "llama-2-7b", "gpu": "a100-40g", "trace": "synthetic"}],
    "policies": [{"policy": "vllm"}, {"policy": "sarathi", "token_budget": 512}],
    "load_curves": {"multiples": [0.75, 1.25]},
    "capacity": {"rel_width": 0.1}
  })");
}

ExperimentConfig Parse(const Json& j) {
  auto c = ParseExperimentConfig(j, "", "x");
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? std::move(*c) : ExperimentConfig{};
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream s(text);
  for (std::string line; std::getline(s, line);) out.push_back(line);
  return out;
}

// Runs `c` and writes its files into a fresh folder; returns the folder.
std::string RunInto(const ExperimentConfig& c, const std::string& name, int threads = 2) {
  std::string dir = ::testing::TempDir() + "/cacheopt_experiment_" + name;
  std::filesystem::remove_all(dir);
  RunnerOptions o;
  o.threads = threads;
  o.command = "cacheopt experiment test.json";
  auto r = RunExperiment(c, o);
  EXPECT_TRUE(r.ok()) << r.status().message();
  if (!r.ok()) return dir;
  EXPECT_TRUE(r->Failures().empty());
  Status s = WriteExperimentOutputs(*r, dir);
  EXPECT_TRUE(s.ok()) << s.message();
  return dir;
}

TEST(ExperimentRunner, TinyEndToEndWritesThreeFiles) {
  ExperimentConfig c = Parse(Tiny());
  std::string dir = RunInto(c, "tiny");

  std::vector<std::string> csv = Lines(ReadFile(dir + "/results.csv"));
  ASSERT_FALSE(csv.empty());
  EXPECT_EQ(csv[0].rfind("run,setup,model,gpu,tp,trace,arrival,arrival_cv,policy_label,policy,knobs,", 0), 0u);
  EXPECT_THAT(csv[0], HasSubstr(",p95_ttft_ms,p99_ttft_ms,"));
  EXPECT_THAT(csv[0], HasSubstr(",p99_longest_stall_ms,"));
  EXPECT_THAT(csv[0], HasSubstr(",slo_goodput_rps,"));
  EXPECT_THAT(csv[0], HasSubstr(",preemptions_per_1000,"));
  // vllm at 1.0x and 1.25x (KV pressure; 1.25x shared with its load curve),
  // 0.75x; sarathi-512 at 0.75x and 1.25x.
  ASSERT_EQ(csv.size(), 1u + 5u);
  for (size_t i = 1; i < csv.size(); ++i) EXPECT_THAT(csv[i], HasSubstr(",ok,")) << csv[i];
  EXPECT_THAT(csv[1], HasSubstr(",syn,llama-2-7b,a100-40g,1,synthetic,replay,,vllm,vllm,,"));
  EXPECT_THAT(ReadFile(dir + "/results.csv"), HasSubstr(",sarathi-512,sarathi,,512,"));
  EXPECT_THAT(ReadFile(dir + "/results.csv"), HasSubstr("kv_pressure;load_curves"));

  Json j = Json::parse(ReadFile(dir + "/results.json"));
  EXPECT_EQ(j["name"], "tiny");
  ASSERT_EQ(j["setups"].size(), 1u);
  EXPECT_TRUE(j["setups"][0]["kv_pressure"]["known"].get<bool>());
  EXPECT_GT(j["setups"][0]["reference_capacity_rps"].get<double>(), 0);
  ASSERT_EQ(j["capacities"].size(), 2u);  // vllm (the reference) and sarathi-512
  for (const auto& cap : j["capacities"]) {
    EXPECT_EQ(cap["status"], "ok");
    for (const char* d : {"token", "stall"}) {
      ASSERT_TRUE(cap.contains(d)) << cap.dump();
      double mean = cap[d]["capacity_rps"].get<double>();
      EXPECT_GT(mean, 0);
      EXPECT_LE(cap[d]["seed_min_rps"].get<double>(), cap[d]["seed_max_rps"].get<double>());
      EXPECT_EQ(cap[d]["per_seed"].size(), 1u);
    }
  }
  ASSERT_EQ(j["runs"].size(), 5u);
  EXPECT_TRUE(j["runs"][0]["metrics"].contains("p99_tbt_ms"));
  EXPECT_DOUBLE_EQ(j["runs"][0]["rate_rps"].get<double>(), j["setups"][0]["reference_capacity_rps"].get<double>());

  std::string html = ReadFile(dir + "/report.html");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_THAT(html, HasSubstr("<svg"));
  EXPECT_THAT(html, HasSubstr("p99 TTFT vs load"));
  EXPECT_THAT(html, HasSubstr("TTFT attainment vs load"));
  EXPECT_THAT(html, HasSubstr("Capacity: syn"));
  EXPECT_THAT(html, HasSubstr("KV pressure"));
  EXPECT_THAT(html, HasSubstr("cacheopt experiment test.json"));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("href=\"http")));  // no external resources
  EXPECT_THAT(html, Not(HasSubstr(" src=")));

  // The standalone headline figure carries its own style and one group per setup.
  std::string svg = ReadFile(dir + "/summary.svg");
  EXPECT_EQ(svg.rfind("<svg xmlns=", 0), 0u);
  EXPECT_THAT(svg, HasSubstr("<style>"));
  EXPECT_THAT(svg, HasSubstr("Stall-aware capacity relative to"));
}

TEST(ExperimentRunner, DeterministicAcrossRunsAndThreadCounts) {
  ExperimentConfig c = Parse(Tiny());
  std::string a = RunInto(c, "det_a", 2);
  std::string b = RunInto(c, "det_b", 1);
  for (const char* f : {"/results.csv", "/results.json", "/report.html", "/summary.svg"}) {
    std::string x = ReadFile(a + f), y = ReadFile(b + f);
    EXPECT_FALSE(x.empty());
    EXPECT_EQ(x, y) << f;
  }
}

TEST(ExperimentRunner, EverySectionRunsWithExistingPolicyKnobs) {
  Json j = Tiny();
  j["seeds"] = {1, 2};
  j["requests"] = 80;
  j["anatomy"] = Json::object();
  j["ablation"] = Json::parse(R"({"base": "sarathi-512", "variants": [{"name": "budget-256",
                                  "knobs": {"token_budget": 256}}], "load_multiples": [1.25]})");
  j["sensitivity"] = Json::parse(R"({"base": "sarathi-512", "capacity": true,
      "sweeps": [{"knob": "token_budget", "values": [256, 1024]}, {"knob": "block_size", "values": [8, 32]}]})");
  j["slo_scale"] = Json::parse(R"({"values": [0.5, 2]})");
  j["scale"] = Json::parse(R"({"requests": [40, 80], "pool_blocks": [400, 800], "policies": ["vllm", "sarathi-512"]})");
  ExperimentConfig c = Parse(j);
  std::string dir = RunInto(c, "sections");
  std::string csv = ReadFile(dir + "/results.csv");
  for (const char* s : {"ablation", "sensitivity", "slo_scale", "scale", "anatomy", "load_curves", "kv_pressure"})
    EXPECT_THAT(csv, HasSubstr(s)) << s;
  EXPECT_THAT(csv, Not(HasSubstr("skipped")));
  // A block-size variant runs on its own pool.
  EXPECT_THAT(csv, HasSubstr("sarathi-512/block_size=8,sarathi,,512,8,"));
  std::string html = ReadFile(dir + "/report.html");
  EXPECT_THAT(html, Not(HasSubstr("Not in this config")));
  for (const char* t : {"Ablation: capacity", "Capacity vs token_budget", "Attainment vs block_size at 1.25x",
                        "Preemptions by kind", "Simulation time vs requests", "Simulation time vs KV pool size",
                        "TTFT attainment vs SLO scale", "budget-256"})
    EXPECT_THAT(html, HasSubstr(t)) << t;
  Json r = Json::parse(ReadFile(dir + "/results.json"));
  int timed = 0;
  for (const auto& run : r["runs"]) timed += run.contains("wall_s") ? 1 : 0;
  EXPECT_EQ(timed, 2 * 4);
}

TEST(ExperimentRunner, BadKnobFailsBeforeAnyRun) {
  Json j = Tiny();
  j["policies"][1]["knobs"] = {{"nope", 1}};
  ExperimentConfig c = Parse(j);
  std::ostringstream progress;
  RunnerOptions o;
  o.progress = &progress;
  auto r = RunExperiment(c, o);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(),
              HasSubstr("policies[1] 'sarathi-512' (policy sarathi) on setup 'syn': unknown knob for policy sarathi "
                        "'nope'; valid: "));
  EXPECT_EQ(progress.str(), "");  // nothing started

  j = Tiny();
  j["policies"][0]["knobs"] = {{"watermark", "lots"}};
  c = Parse(j);
  r = RunExperiment(c, o);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("policies[0] 'vllm' (policy vllm) on setup 'syn': knob watermark='lots' "
                                              "is not a number"));
  // A sweep value is checked the same way, naming where it came from.
  j = Tiny();
  j["sensitivity"] = Json::parse(R"({"base": "vllm", "sweeps": [{"knob": "max_num_seqs", "values": [8, "many"]}]})");
  c = Parse(j);
  r = RunExperiment(c, o);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("sensitivity.sweeps[0].values[1] 'vllm/max_num_seqs=many'"));
  EXPECT_EQ(progress.str(), "");
}

TEST(ExperimentRunner, BadWorkloadFailsBeforeAnyRun) {
  std::string path = ::testing::TempDir() + "/lengths_only.csv";
  {
    std::ofstream f(path);
    f << "prompt_tokens,output_tokens\n100,20\n200,30\n300,40\n";
  }
  Json j = Tiny();
  j["setups"][0]["trace"] = path;
  j["setups"][0]["arrival"] = "replay";
  ExperimentConfig c = Parse(j);
  auto r = RunExperiment(c, RunnerOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("setups[0] 'syn': replay needs a trace with timestamps"));
}

TEST(ExperimentRunner, CsvQuoting) {
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(NumberText(3), "3");
  EXPECT_EQ(NumberText(0.1), "0.1");
  EXPECT_EQ(NumberText(NAN), "");
}

}  // namespace
}  // namespace cacheopt::experiment

namespace cacheopt::experiment {
namespace {

// A policy listed but used by no experiment is still checked.
TEST(ExperimentRunner, UnusedPolicyIsCheckedToo) {
  Json j = Tiny();
  j.erase("load_curves");
  j.erase("capacity");
  j["policies"][1]["knobs"] = {{"watermark", "x"}};
  ExperimentConfig c = Parse(j);
  auto r = RunExperiment(c, RunnerOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("policies[1] 'sarathi-512'"));
}

// CacheOPT's own range checks surface the same way, once the policy exists.
TEST(ExperimentRunner, CacheOptKnobOutOfRange) {
  auto names = PolicyNames();
  if (std::find(names.begin(), names.end(), "cacheopt") == names.end()) GTEST_SKIP() << "no cacheopt policy yet";
  Json j = Tiny();
  j["policies"].push_back(Json::parse(R"({"policy": "cacheopt", "knobs": {"alpha": 2}})"));
  ExperimentConfig c = Parse(j);
  auto r = RunExperiment(c, RunnerOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("policies[2] 'cacheopt' (policy cacheopt) on setup 'syn': "));
  EXPECT_THAT(r.status().message(), HasSubstr("alpha"));
  j = Tiny();
  j["policies"].push_back(Json::parse(R"({"policy": "cacheopt", "knobs": {"disable": ["padding", "magic"]}})"));
  c = Parse(j);
  r = RunExperiment(c, RunnerOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("magic"));
}

}  // namespace
}  // namespace cacheopt::experiment

namespace cacheopt::experiment {
namespace {

Json WithCeilings() {
  return Json::parse(R"({
    "name": "ceil",
    "seeds": [1],
    "requests": 120,
    "setups": [{"name": "syn", "model": "llama-2-7b", "gpu": "a100-40g", "trace": "synthetic",
                "kv_device_blocks": 300}],
    "policies": [{"policy": "vllm"}, {"policy": "cacheopt"}],
    "capacity": {"rel_width": 0.2, "definitions": ["stall"]},
    "ceilings": {"kv_device_blocks": 50000}
  })");
}

// The ceiling runs differ from the policy they derive from in the device
// tier alone; the oracle ceiling in the estimator alone.
TEST(ExperimentRunner, CeilingsChangeOnlyTheDeviceTierOrTheEstimator) {
  ExperimentConfig c = Parse(WithCeilings());
  ASSERT_TRUE(c.ceilings.enabled);
  ASSERT_EQ(c.ceilings.unbounded.size(), 2u);
  ASSERT_EQ(c.ceilings.oracles.size(), 1u);
  RunnerOptions o;
  o.threads = 2;
  auto r = RunExperiment(c, o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->Failures().empty());
  for (size_t i = 0; i < c.ceilings.unbounded.size(); ++i) {
    const Variant& base = *c.FindPolicy(c.ceilings.unbounded_of[i]);
    const Variant& up = c.ceilings.unbounded[i];
    EXPECT_EQ(up.policy, base.policy);
    EXPECT_EQ(up.knobs, base.knobs);
    EXPECT_EQ(up.token_budget, base.token_budget);
    EXPECT_EQ(up.block_size, base.block_size);
    const CapacityRecord* a = r->FindCapacity(0, base);
    const CapacityRecord* b = r->FindCapacity(0, up);
    ASSERT_TRUE(a != nullptr && b != nullptr);
    EXPECT_EQ(a->device_blocks, 300);
    EXPECT_EQ(b->device_blocks, 50000);
    ASSERT_TRUE(a->Find(CapacityDefinition::kStall) != nullptr && b->Find(CapacityDefinition::kStall) != nullptr);
  }
  const Variant& oracle = c.ceilings.oracles[0];
  EXPECT_EQ(oracle.knobs.at("estimator"), "oracle");
  EXPECT_EQ(oracle.kv_device_blocks, 0);
  EXPECT_EQ(r->FindCapacity(0, oracle)->device_blocks, 300);

  const SetupCeiling sc = ComputeCeiling(*r, 0, CapacityDefinition::kStall);
  double best_unbounded = 0;
  for (const Variant& v : c.ceilings.unbounded)
    best_unbounded = std::max(best_unbounded, r->FindCapacity(0, v)->Find(CapacityDefinition::kStall)->mean.max_rate_rps);
  EXPECT_EQ(sc.ceiling_rps, best_unbounded);
  EXPECT_EQ(sc.best_baseline_label, "vllm");  // the only baseline
  const double vllm = r->FindCapacity(0, *c.FindPolicy("vllm"))->Find(CapacityDefinition::kStall)->mean.max_rate_rps;
  EXPECT_DOUBLE_EQ(sc.headroom, best_unbounded / vllm);
  ASSERT_EQ(sc.fraction.size(), 2u);
  EXPECT_DOUBLE_EQ(sc.fraction[0], vllm / best_unbounded);
}

// Overload runs scale the policy's own stall-aware capacity; equal-load runs
// the best baseline's.
TEST(ExperimentRunner, OverloadAndEqualLoadRatesComeFromTheirCapacities) {
  Json j = WithCeilings();
  j["policies"] = Json::parse(R"([{"policy": "vllm"}, {"policy": "sarathi", "token_budget": 512}, {"policy": "cacheopt"}])");
  j["overload"] = Json::parse(R"({"multiples": [1, 2]})");
  j["equal_load"] = Json::object();
  ExperimentConfig c = Parse(j);
  RunnerOptions o;
  o.threads = 2;
  auto r = RunExperiment(c, o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->Failures().empty());
  auto stall = [&](const char* label) {
    return r->FindCapacity(0, *c.FindPolicy(label))->Find(CapacityDefinition::kStall)->mean.max_rate_rps;
  };
  const double best = std::max(stall("vllm"), stall("sarathi-512"));
  int overload = 0, equal = 0;
  for (const RunRecord& run : r->runs) {
    if (run.spec.basis == RateBasis::kOwnStall) {
      ++overload;
      EXPECT_DOUBLE_EQ(run.rate_rps, run.spec.multiple * stall(run.spec.variant.label.c_str()));
    } else if (run.spec.basis == RateBasis::kBestBaseline) {
      ++equal;
      EXPECT_DOUBLE_EQ(run.rate_rps, best);
    }
  }
  EXPECT_EQ(overload, 3 * 2);  // policies x multiples x 1 seed
  EXPECT_EQ(equal, 3);
  j["capacity"]["definitions"] = Json::parse(R"(["token"])");
  auto bad = ParseExperimentConfig(j, "", "x");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("needs \"stall\""));
}

TEST(ExperimentConfigCeilings, BadInputNamesTheKey) {
  Json j = WithCeilings();
  j.erase("capacity");
  auto e = ParseExperimentConfig(j, "", "x");
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(e.status().message(), HasSubstr("ceilings: needs a \"capacity\" section"));
  j = WithCeilings();
  j["policies"] = Json::parse(R"([{"policy": "vllm"}])");
  e = ParseExperimentConfig(j, "", "x");
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(e.status().message(), HasSubstr("ceilings.oracle: needs a cacheopt policy"));
  j = WithCeilings();
  j["ceilings"]["kv_blocks"] = 5;
  e = ParseExperimentConfig(j, "", "x");
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(e.status().message(), HasSubstr("kv_blocks"));
  j = WithCeilings();
  j["setups"][0]["over_context"] = "trim";
  e = ParseExperimentConfig(j, "", "x");
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(e.status().message(), HasSubstr("over_context"));
}

}  // namespace
}  // namespace cacheopt::experiment
