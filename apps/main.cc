// cacheopt: one binary, one subcommand per front end.
#include <CLI/CLI.hpp>

#include "commands.h"

int main(int argc, char** argv) {
  using namespace cacheopt;
  CLI::App app{"cacheopt: LLM serving scheduling under KV-cache competition (CacheOPT and baselines)"};
  app.require_subcommand(1);

  SimFlags sim_flags;
  auto* simulate = app.add_subcommand("simulate", "Simulate one policy on a trace and print its metrics");
  AddSimFlags(simulate, &sim_flags, true, true);

  SimFlags cap_flags;
  std::string definition = "token";
  auto* capacity = app.add_subcommand("capacity", "Search the highest rate at which 90% of SLOs hold");
  AddSimFlags(capacity, &cap_flags, false, true);
  capacity->add_option("--definition", definition, "token (TBT per token) or stall (stall-aware)")
      ->capture_default_str();

  SimFlags cmp_flags;
  auto* compare = app.add_subcommand("compare", "Simulate every policy on the same workload, side by side "
                                                "(the main job)");
  AddSimFlags(compare, &cmp_flags, true, false);
  double load = 1.25;
  compare->add_option("--load", load, "Without --rate: run at this multiple of vllm's token-level capacity")
      ->capture_default_str();

  auto* cost_check = app.add_subcommand("cost-check", "Compare the GPU cost model with Splitwise measurements");

  ExperimentFlags exp_flags;
  auto* experiment = app.add_subcommand(
      "experiment", "Run a sweep from an experiment config and write results.csv, results.json, report.html");
  experiment->add_option("config", exp_flags.config, "Experiment config (experiments/NAME.json)")->required();
  experiment->add_option("--out", exp_flags.out, "Folder for the results (created if missing)")->required();
  experiment->add_option("--threads", exp_flags.threads, "Worker threads")->capture_default_str();
  experiment->add_flag("--quiet", exp_flags.quiet, "No progress line");

  MakeModelFlags mm_flags;
  auto* make_model = app.add_subcommand("make-model", "Write a model with random weights (llama2.c or GGUF)");
  make_model->add_option("--config", mm_flags.config, "micro, tiny, 15m, 42m or 110m (required unless --from)");
  make_model->add_option("--out", mm_flags.out, "Model file to write")->required();
  make_model->add_option("--format", mm_flags.format, "llama2c or gguf (default: gguf for a .gguf --out, else llama2c)");
  make_model->add_option("--seed", mm_flags.seed, "Weight seed")->capture_default_str();
  make_model->add_flag("--f16", mm_flags.f16, "Store GGUF matrices as F16");
  make_model->add_option("--quant", mm_flags.quant,
                         "Store GGUF matrices as F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q5_1, Q4_K, Q5_K or Q6_K (docs/quantization.md)");
  make_model->add_option("--from", mm_flags.from, "Take the weights from this model file instead of random ones");
  make_model->add_option("--style", mm_flags.style,
                         "Model family: llama (default), llama3, qwen2 or mistral (docs/models.md); "
                         "all but llama need --format gguf");
  make_model->add_option("--tokenizer-out", mm_flags.tokenizer_out,
                         "llama2c tokenizer file (default: tok<vocab>.bin beside --out, where loading finds it)");

  GenerateFlags gen_flags;
  auto* generate = app.add_subcommand("generate", "Generate text from a prompt with the real engine on this CPU");
  AddGenerateFlags(generate, &gen_flags);

  ServeFlags serve_flags;
  auto* serve = app.add_subcommand("serve", "Serve the OpenAI API (completions, chat, streaming) and Prometheus "
                                            "metrics with the real engine on this CPU");
  AddServeFlags(serve, &serve_flags);

  BenchFlags bench_flags;
  auto* bench = app.add_subcommand("bench", "Benchmark an OpenAI-compatible server with a trace, as vLLM's "
                                            "`bench serve` does (docs/bench.md)");
  AddBenchFlags(bench, &bench_flags);

  ProfileFlags profile_flags;
  auto* profile = app.add_subcommand("profile", "Time this machine's real engine and write a cost profile for "
                                                "simulate --cost-model (docs/real-engine.md)");
  AddProfileFlags(profile, &profile_flags);

  RealExperimentFlags real_flags;
  auto* real = app.add_subcommand("real-experiment", "Run every policy on the real server at several loads, with "
                                                     "the simulator's prediction of each run (docs/real-engine.md)");
  real->add_option("config", real_flags.config, "Config (experiments/real.json)")->required();
  real->add_option("--out", real_flags.out, "Folder for the results (created if missing)")->required();
  real->add_option("--profile", real_flags.profile,
                   "This machine's cost profile: reused when the file exists (it must match the machine, threads "
                   "and model), else measured and saved there, so loads, device tier and SLO targets stay fixed "
                   "across runs");

  SoakFlags soak_flags;
  auto* soak = app.add_subcommand("soak", "Engine soak: random workloads on every policy, invariants checked "
                                          "after every step (docs/soak.md)");
  AddSoakFlags(soak, &soak_flags);

  CostReplayFlags replay_flags;
  auto* cost_replay = app.add_subcommand("cost-replay", "Replay a real engine's steps log through a CPU cost "
                                                        "profile: per-step prediction errors (docs/real-engine.md)");
  AddCostReplayFlags(cost_replay, &replay_flags);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (*simulate) return RunSimulate(sim_flags);
  if (*capacity) return RunCapacity(cap_flags, definition);
  if (*compare) return RunCompare(cmp_flags, load);
  if (*cost_check) return RunCostCheck();
  if (*experiment) return RunExperimentCommand(exp_flags);
  if (*make_model) return RunMakeModel(mm_flags);
  if (*generate) return RunGenerate(gen_flags);
  if (*serve) return RunServe(serve_flags);
  if (*profile) return RunProfile(profile_flags);
  if (*real) return RunRealExperimentCommand(real_flags);
  if (*bench) return RunBenchCommand(bench_flags);
  if (*soak) return RunSoakCommand(soak_flags);
  if (*cost_replay) return RunCostReplay(replay_flags);
  return 2;
}
