// The subcommands of the one `cacheopt` binary. Each returns the process exit
// code: 0 success, 2 bad input (unknown name, malformed file, bad value),
// 1 a failure while running.
#pragma once

#include "bench_flags.h"
#include "generate_flags.h"
#include "profile_flags.h"
#include "serve_flags.h"
#include "sim_flags.h"

namespace cacheopt {

int RunSimulate(const SimFlags& f);
int RunCapacity(const SimFlags& f, const std::string& definition);
// Without --rate, runs at `load` x the token-level capacity of vllm.
int RunCompare(const SimFlags& f, double load);
int RunCostCheck();

// `experiment CONFIG --out DIR`: a sweep from experiments/*.json (docs/experiments.md).
struct ExperimentFlags {
  std::string config;
  std::string out;
  int threads = 2;  // this machine has two cores
  bool quiet = false;
};
int RunExperimentCommand(const ExperimentFlags& f);

// `make-model --config NAME --out PATH`: a random-weight model file
// (src/model/random_model.h), for benchmarks and tests.
struct MakeModelFlags {
  std::string config;
  std::string out;
  std::string format;         // "llama2c", "gguf", or "" = from --out's extension
  uint64_t seed = 0;
  bool f16 = false;           // GGUF only
  std::string quant;          // GGUF only: storage type of the matrices ("" = F32, or F16 with --f16)
  std::string from;           // quantize this model file's weights instead of random ones
  std::string tokenizer_out;  // llama2c only; "" = <dir of --out>/tok<vocab>.bin
  std::string style = "llama";  // random_model.h: llama, llama3, qwen2, mistral
};
int RunMakeModel(const MakeModelFlags& f);

// `real-experiment CONFIG --out DIR` (docs/real-engine.md).
struct RealExperimentFlags {
  std::string config;
  std::string out;
  std::string profile;  // "" = profile afresh; else reused when present, saved there when not
};
int RunRealExperimentCommand(const RealExperimentFlags& f);

// `soak`: the engine soak (src/soak, docs/soak.md). 0 without violations, 1 with.
struct SoakFlags {
  int64_t steps = 1'000'000;
  uint64_t seed = 1;
  std::string policies = "all";
  int32_t max_device_blocks = 4096;
  int32_t min_device_blocks = 2;
  int32_t max_requests = 200;
  double sim_share = 0.6;
  int64_t replay_episode = -1;
  bool trace_steps = false;
  bool episode_log = false;
};
void AddSoakFlags(CLI::App* app, SoakFlags* f);
int RunSoakCommand(const SoakFlags& f);

// `cost-replay --steps-log FILE --cost-model PROFILE`: a real steps log
// through a CPU cost profile, per-step errors (src/calibration/cost_replay.h).
struct CostReplayFlags {
  std::string steps_log;
  std::string cost_model;
  std::string target = "loop";
  std::string refit;  // "" = no refit
};
void AddCostReplayFlags(CLI::App* app, CostReplayFlags* f);
int RunCostReplay(const CostReplayFlags& f);

// Prints "error: <message>" to stderr and returns 2.
int BadInput(const Status& s);

}  // namespace cacheopt
