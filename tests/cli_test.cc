// The `cacheopt` binary end to end: determinism and bad input.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "support/run_command.h"

namespace {

namespace fs = std::filesystem;

using RunResult = cacheopt::testing::CommandResult;  // stdout and stderr together

RunResult RunCli(const std::string& args) {
  std::string cmd = std::string(CACHEOPT_BINARY) + " " + args + " 2>&1";
  return cacheopt::testing::RunCommand(cmd);
}

std::string ReadFile(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cacheopt_cli_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path Write(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p;
  }
  fs::path dir_;
};

TEST_F(CliTest, SameSeedGivesByteIdenticalJsonAndStepsLog) {
  for (const char* policy : {"vllm", "vllm-v1", "sarathi", "reserve-max"}) {
    std::string common = std::string("simulate --policy ") + policy +
                         " --requests 150 --rate 6 --seed 3 --preemption-mode swap --kv-device-blocks 600";
    auto a = RunCli(common + " --json " + (dir_ / "a.json").string() + " --steps-log " + (dir_ / "a.log").string());
    auto b = RunCli(common + " --json " + (dir_ / "b.json").string() + " --steps-log " + (dir_ / "b.log").string());
    ASSERT_EQ(a.code, 0) << a.output;
    ASSERT_EQ(b.code, 0) << b.output;
    std::string ja = ReadFile(dir_ / "a.json"), la = ReadFile(dir_ / "a.log");
    EXPECT_FALSE(la.empty());
    EXPECT_NE(ja.find("p99_ttft_ms"), std::string::npos);
    EXPECT_EQ(ja, ReadFile(dir_ / "b.json")) << policy;
    EXPECT_EQ(la, ReadFile(dir_ / "b.log")) << policy;
    // A different seed gives a different run.
    auto c = RunCli(std::string("simulate --policy ") + policy +
                 " --requests 150 --rate 6 --seed 4 --preemption-mode swap --kv-device-blocks 600 --json " +
                 (dir_ / "c.json").string());
    ASSERT_EQ(c.code, 0) << c.output;
    EXPECT_NE(ja, ReadFile(dir_ / "c.json")) << policy;
  }
}

TEST_F(CliTest, JsonHasEveryRequiredField) {
  auto r = RunCli("simulate --policy vllm --requests 50 --rate 2 --json " + (dir_ / "r.json").string());
  ASSERT_EQ(r.code, 0) << r.output;
  std::string j = ReadFile(dir_ / "r.json");
  for (const char* k : {"p50_ttft_ms", "p95_ttft_ms", "p99_ttft_ms", "p50_tbt_ms", "p95_tbt_ms", "p99_tbt_ms",
                        "p99_longest_stall_ms", "p50_e2e_ms", "p99_e2e_ms", "normalized_latency_ms",
                        "ttft_attainment", "tbt_attainment", "tbt_attainment_request", "stall_attainment",
                        "slo_goodput_rps", "throughput_tok_s", "preemptions_recompute", "preemptions_swap",
                        "max_preemptions_per_request", "requests_finished", "requests_dropped"})
    EXPECT_NE(j.find(std::string("\"") + k + "\""), std::string::npos) << k;
}

TEST_F(CliTest, UnknownNamesExitTwoAndListValidOnes) {
  auto p = RunCli("simulate --policy nope --rate 1");
  EXPECT_EQ(p.code, 2);
  EXPECT_NE(p.output.find("vllm-v1"), std::string::npos) << p.output;
  auto m = RunCli("simulate --model gpt-9 --rate 1");
  EXPECT_EQ(m.code, 2);
  EXPECT_NE(m.output.find("llama-2-7b"), std::string::npos) << m.output;
  auto g = RunCli("simulate --gpu tpu --rate 1");
  EXPECT_EQ(g.code, 2);
  EXPECT_NE(g.output.find("a100-40g"), std::string::npos) << g.output;
  auto k = RunCli("simulate --set frobnicate=3 --rate 1");
  EXPECT_EQ(k.code, 2);
  EXPECT_NE(k.output.find("max_num_seqs"), std::string::npos) << k.output;
  auto a = RunCli("simulate --arrival sometimes --rate 1");
  EXPECT_EQ(a.code, 2);
  EXPECT_NE(a.output.find("poisson"), std::string::npos) << a.output;
}

TEST_F(CliTest, BadTracesNameFileLineAndField) {
  auto fmt = Write("weird.csv", "foo,bar\n1,2\n");
  auto r = RunCli("simulate --rate 1 --trace " + fmt.string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("weird.csv"), std::string::npos) << r.output;

  auto bad = Write("bad.csv", "num_prefill_tokens,num_decode_tokens,num_total_tokens,pd_ratio\n10,5,15,2\n12,x,15,2\n");
  auto b = RunCli("simulate --rate 1 --trace " + bad.string());
  EXPECT_EQ(b.code, 2);
  EXPECT_NE(b.output.find("bad.csv:3"), std::string::npos) << b.output;
  EXPECT_NE(b.output.find("num_decode_tokens"), std::string::npos) << b.output;

  auto missing = RunCli("simulate --rate 1 --trace " + (dir_ / "none.csv").string());
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.output.find("none.csv"), std::string::npos) << missing.output;
}

TEST_F(CliTest, BadValuesGetClearErrors) {
  auto rate = RunCli("simulate --rate -1");
  EXPECT_EQ(rate.code, 2);
  EXPECT_NE(rate.output.find("--rate"), std::string::npos) << rate.output;
  auto none = RunCli("simulate --rate 1 --requests 0");
  EXPECT_EQ(none.code, 2);
  EXPECT_NE(none.output.find("--requests"), std::string::npos) << none.output;
  auto lengths = Write("lengths.csv", "num_prefill_tokens,num_decode_tokens,num_total_tokens,pd_ratio\n10,5,15,2\n");
  auto norate = RunCli("simulate --trace " + lengths.string());
  EXPECT_EQ(norate.code, 2);
  EXPECT_NE(norate.output.find("--rate"), std::string::npos) << norate.output;
}

// `profile` writes a cost profile that `simulate --cost-model` runs on.
TEST_F(CliTest, ProfileThenSimulateWithTheCostModel) {
  const std::string model = (dir_ / "tiny.bin").string(), prof = (dir_ / "p.json").string();
  auto made = RunCli("make-model --config tiny --out " + model);
  ASSERT_EQ(made.code, 0) << made.output;
  auto p = RunCli("profile --model " + model + " --quick --threads 1 --out " + prof);
  ASSERT_EQ(p.code, 0) << p.output;
  EXPECT_NE(p.output.find("fit: step ="), std::string::npos) << p.output;
  // A speed check against it: some of its shapes timed again, as its steps.
  const std::string now = (dir_ / "now.json").string();
  auto check = RunCli("profile --model " + model + " --threads 1 --shapes-of " + prof + " --out " + now);
  ASSERT_EQ(check.code, 0) << check.output;
  EXPECT_NE(check.output.find("speed check: "), std::string::npos) << check.output;
  EXPECT_NE(ReadFile(now).find("cacheopt-cpu-cost-profile"), std::string::npos);
  auto other_threads = RunCli("profile --model " + model + " --threads 2 --shapes-of " + prof + " --out " + now);
  EXPECT_EQ(other_threads.code, 2);
  EXPECT_NE(other_threads.output.find(prof + ": field 'measured_on.threads'"), std::string::npos)
      << other_threads.output;
  auto trace = Write("t.jsonl", "{\"prompt_tokens\": 40, \"output_tokens\": 9}\n"
                                "{\"prompt_tokens\": 100, \"output_tokens\": 30}\n"
                                "{\"prompt_tokens\": 7, \"output_tokens\": 50}\n");
  const std::string out = (dir_ / "s.json").string();
  auto sim = RunCli("simulate --cost-model " + prof + " --trace " + trace.string() +
                    " --rate 20 --requests 3 --kv-device-blocks 12 --json " + out);
  ASSERT_EQ(sim.code, 0) << sim.output;
  EXPECT_NE(sim.output.find("CPU profile"), std::string::npos) << sim.output;
  EXPECT_NE(ReadFile(out).find("\"requests_finished\": 3"), std::string::npos) << ReadFile(out);

  auto missing = RunCli("simulate --cost-model " + (dir_ / "none.json").string() + " --rate 1");
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.output.find("none.json"), std::string::npos) << missing.output;
  auto bad = RunCli("simulate --cost-model " + Write("bad.json", "{\"format\": 3}").string() + " --rate 1");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.output.find("format"), std::string::npos) << bad.output;
}

// The real-engine experiment end to end, small: a generated model, its
// profile, one policy on a live server, the simulator's replay, the report.
TEST_F(CliTest, RealExperimentSmoke) {
  auto config = Write("real.json", R"({"model": {"generate": "tiny"}, "trace": "synthetic", "length_scale": 16,
      "requests": 8, "policies": ["vllm"], "load_multiples": [0.5], "time_limit_s": 60,
      "profile_max_seconds": 3, "fidelity_policies": ["vllm"]})");
  const std::string out = (dir_ / "real").string();
  auto r = RunCli("real-experiment " + config.string() + " --out " + out);
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string csv = ReadFile(dir_ / "real" / "results.csv");
  EXPECT_NE(csv.find("\nvllm,0.500,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",ok,8,8,0,"), std::string::npos) << csv;  // 8 requests, 8 completed, 0 failed
  EXPECT_NE(ReadFile(dir_ / "real" / "report.html").find("Fidelity"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir_ / "real" / "runs" / "vllm-x0.5.json"));
  auto bad = RunCli("real-experiment " + Write("bad.json", R"({"polices": []})").string() + " --out " + out);
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.output.find("polices"), std::string::npos) << bad.output;
  // Every server step was logged and replayed through the profile.
  EXPECT_TRUE(fs::exists(dir_ / "real" / "logs" / "vllm-x0.5.steps.jsonl"));
  EXPECT_NE(ReadFile(dir_ / "real" / "report.html").find("Per-step error"), std::string::npos);
}

// One profile per machine: saved by the first run, reused by the next, so the
// reference rate (and the tier and SLO targets with it) does not move; one
// from elsewhere is refused naming the file and the field.
TEST_F(CliTest, RealExperimentReusesASavedProfile) {
  auto config = Write("real.json", R"({"model": {"generate": "tiny"}, "trace": "synthetic", "length_scale": 16,
      "requests": 8, "policies": ["vllm"], "load_multiples": [0.5], "time_limit_s": 60,
      "profile_max_seconds": 3, "fidelity_policies": ["vllm"]})");
  const std::string prof = (dir_ / "machine.json").string();
  auto first = RunCli("real-experiment " + config.string() + " --out " + (dir_ / "a").string() + " --profile " + prof);
  ASSERT_EQ(first.code, 0) << first.output;
  ASSERT_TRUE(fs::exists(prof));
  auto second = RunCli("real-experiment " + config.string() + " --out " + (dir_ / "b").string() + " --profile " + prof);
  ASSERT_EQ(second.code, 0) << second.output;
  EXPECT_NE(second.output.find("profile: reusing " + prof), std::string::npos) << second.output;
  // The serving refit (warm-up steps) is saved beside it and reused too.
  const std::string serving = (dir_ / "machine.serving.json").string();
  ASSERT_TRUE(fs::exists(serving));
  ASSERT_TRUE(fs::exists(dir_ / "machine.serving-compute.json"));  // the simulated policy's model
  EXPECT_NE(second.output.find("policy model: step = "), std::string::npos) << second.output;
  EXPECT_NE(first.output.find("warm-up: vllm at"), std::string::npos) << first.output;
  EXPECT_NE(second.output.find("serving refit: reusing " + serving), std::string::npos) << second.output;
  // The warm-up's speed check is saved with the refit; each run times its own
  // and is simulated with the model scaled by the ratio.
  EXPECT_TRUE(fs::exists(dir_ / "machine.serving-speed.json"));
  EXPECT_TRUE(fs::exists(dir_ / "b" / "logs" / "vllm-x0.5.speed-after.json"));
  EXPECT_NE(ReadFile(dir_ / "b" / "results.json").find("\"speed\": "), std::string::npos);
  EXPECT_NE(ReadFile(dir_ / "b" / "results.json").find("vllm-x0.5.sim-profile.json"), std::string::npos);
  EXPECT_NE(ReadFile(dir_ / "b" / "results.json").find("\"serving_profile\": \"" + serving), std::string::npos);
  auto rate = [&](const char* run) {
    const std::string j = ReadFile(dir_ / run / "results.json");
    const size_t at = j.find("\"reference_rps\"");
    return at == std::string::npos ? std::string("missing") : j.substr(at, j.find(',', at) - at);
  };
  EXPECT_EQ(rate("a"), rate("b"));
  std::string text = ReadFile(prof);
  const size_t at = text.find("\"machine\"");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, text.find(',', at) - at, "\"machine\": \"Another CPU\"");
  const std::string other = Write("other.json", text).string();
  auto refused = RunCli("real-experiment " + config.string() + " --out " + (dir_ / "c").string() + " --profile " + other);
  EXPECT_EQ(refused.code, 2);
  EXPECT_NE(refused.output.find(other + ": field 'measured_on.machine'"), std::string::npos) << refused.output;
  // A serving refit from elsewhere beside a good profile: refused the same way.
  std::string st = ReadFile(serving);
  const size_t sm = st.find("\"machine\"");
  ASSERT_NE(sm, std::string::npos);
  st.replace(sm, st.find(',', sm) - sm, "\"machine\": \"Another CPU\"");
  Write("machine.serving.json", st);
  auto refused_serving =
      RunCli("real-experiment " + config.string() + " --out " + (dir_ / "d").string() + " --profile " + prof);
  EXPECT_EQ(refused_serving.code, 2);
  EXPECT_NE(refused_serving.output.find(serving + ": field 'measured_on.machine'"), std::string::npos)
      << refused_serving.output;
}

// The steps log of a real run, replayed: a committed small log (written by
// `generate --steps-log` on the generated tiny model) and the profile of the
// same model, so the table is the same on every machine.
TEST_F(CliTest, CostReplayOnTheCommittedLog) {
  const std::string data = std::string(CACHEOPT_SOURCE_DIR) + "/tests/data/";
  auto r = RunCli("cost-replay --steps-log " + data + "steps_small.jsonl --cost-model " + data +
                  "profile_small.json --target compute");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("(measured: compute)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("all             60     35.2%     43.5%     98.9%      +34.2%        1.572         0.463"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("decode only"), std::string::npos) << r.output;
  const std::string refit = (dir_ / "refit.json").string();
  auto f = RunCli("cost-replay --steps-log " + data + "steps_small.jsonl --cost-model " + data +
                  "profile_small.json --refit " + refit);
  ASSERT_EQ(f.code, 0) << f.output;
  EXPECT_NE(f.output.find("refitted on serving steps"), std::string::npos) << f.output;
  auto sim = RunCli("simulate --cost-model " + refit + " --rate 5 --requests 20 --kv-device-blocks 64");
  EXPECT_EQ(sim.code, 0) << sim.output;

  auto bad = RunCli("cost-replay --steps-log " +
                    Write("bad.jsonl", "{\"step\":0,\"t\":0,\"dur\":0.1,\"seqs\":[]}\n").string() +
                    " --cost-model " + data + "profile_small.json");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.output.find("bad.jsonl:1: field 'swap_out' is missing"), std::string::npos) << bad.output;
}

TEST_F(CliTest, GenerateWritesOneStepLinePerStep) {
  const std::string model = (dir_ / "tiny.bin").string(), log = (dir_ / "steps.jsonl").string();
  ASSERT_EQ(RunCli("make-model --config tiny --out " + model).code, 0);
  auto g = RunCli("generate --model " + model + " -n 6 --threads 1 --temperature 0 --steps-log " + log);
  ASSERT_EQ(g.code, 0) << g.output;
  std::istringstream lines(ReadFile(log));
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    EXPECT_NE(line.find(n == 0 ? "\"phase\":\"prefill\"" : "\"phase\":\"decode\""), std::string::npos) << line;
    ++n;
  }
  EXPECT_EQ(n, 6);  // the prompt's step, then five decodes
}

TEST_F(CliTest, HelpEverywhere) {
  for (const char* sub : {"", "simulate", "capacity", "compare", "cost-check", "profile", "real-experiment", "bench",
                          "cost-replay"}) {
    auto r = RunCli(std::string(sub) + " --help");
    EXPECT_EQ(r.code, 0) << sub;
    EXPECT_NE(r.output.find("Usage"), std::string::npos) << sub;
  }
}

}  // namespace

// issue 16: a simulated cluster is as deterministic as one engine, and a bad
// router or replica count is named with the choices.
TEST_F(CliTest, ClusterRunsAreByteIdenticalAndBadRoutersNamed) {
  for (const char* router : {"round-robin", "least-requests", "leastconn", "inference-extension", "precise-prefix"}) {
    const std::string common = std::string("simulate --policy vllm-v1 --trace multi-turn --requests 300 --rate 8 "
                                           "--seed 5 --kv-device-blocks 800 --replicas 3 --router ") + router;
    auto a = RunCli(common + " --json " + (dir_ / "a.json").string());
    auto b = RunCli(common + " --json " + (dir_ / "b.json").string());
    ASSERT_EQ(a.code, 0) << a.output;
    ASSERT_EQ(b.code, 0) << b.output;
    const std::string ja = ReadFile(dir_ / "a.json");
    EXPECT_NE(ja.find("\"replicas\""), std::string::npos);
    EXPECT_NE(ja.find("\"router_predicted_hit_blocks\""), std::string::npos);
    EXPECT_EQ(ja, ReadFile(dir_ / "b.json")) << router;
    EXPECT_EQ(a.output, b.output) << router;
  }
  auto bad = RunCli("simulate --requests 20 --rate 1 --replicas 2 --router nearest");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.output.find("unknown router 'nearest'; valid: round-robin, least-requests, leastconn, "
                            "inference-extension, precise-prefix"),
            std::string::npos)
      << bad.output;
  auto zero = RunCli("simulate --requests 20 --rate 1 --replicas 0 --router round-robin");
  EXPECT_EQ(zero.code, 2);
  EXPECT_NE(zero.output.find("--replicas must be in [1, 64], got 0"), std::string::npos) << zero.output;
  auto knob = RunCli("simulate --requests 20 --rate 1 --replicas 2 --router leastconn:inter=1");
  EXPECT_EQ(knob.code, 2);
  EXPECT_NE(knob.output.find("valid: agent_inter_s"), std::string::npos) << knob.output;
}
