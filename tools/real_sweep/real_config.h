// The real-engine experiment's config (experiments/real.json; schema in
// docs/real-engine.md): which model, workload, policies and loads, how the
// device tier is sized, and where the server and the client run. Parsing is
// strict: an unknown key or a value out of range is an error naming the key.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cacheopt/status.h"

namespace cacheopt::realexp {

struct RealExperimentConfig {
  std::string description;
  // The model: a file, or a random-weight config made with `make-model`
  // (EVALUATION.md: the generated ~15M-parameter model with a 2048 context).
  std::string model_path;
  std::string model_generate = "15m";
  uint64_t model_seed = 1;
  // The workload: a trace (short name, "synthetic" or a path), lengths divided
  // by `length_scale` and clipped to the context (EVALUATION.md).
  std::string trace = "azure_conv";
  double length_scale = 8;
  int64_t requests = 300;
  uint64_t seed = 1;
  // Workload seeds, one run per seed at every point (spread across seeds);
  // empty: `seed` alone.
  std::vector<uint64_t> seeds;
  std::string arrival = "poisson";  // or "gamma"
  double arrival_cv = 3;
  std::vector<std::string> policies = {"cacheopt", "vllm", "vllm-v1", "sarathi", "s3"};
  // Loads, as multiples of the reference policy's token-level capacity that
  // the simulator predicts with this machine's profile.
  std::vector<double> load_multiples = {0.6, 0.9, 1.2};
  std::string reference_policy = "vllm";
  // The device tier: this multiple of the offered load's mean working set at
  // the reference capacity (simulated with an unbounded tier).
  double working_set_multiple = 1.5;
  // CPUs: the server's and the client's, kept apart; threads of the engine.
  std::vector<int> server_cpus = {0};
  std::vector<int> client_cpus = {1};
  int32_t server_threads = 1;
  int32_t max_concurrency = 256;  // the server's, high enough that the policy decides
  int32_t max_queue = 1024;
  double time_limit_s = 240;      // per run; requests still open then count as failed
  double profile_max_seconds = 60;
  int64_t solo_requests = 20;  // served one at a time: the solo steps the SLO targets come from
  // The warm-up under serving load whose steps the simulator's cost model is
  // refitted on (cost-replay --refit's rule, against one engine-loop
  // iteration): the reference policy at `multiple` x the reference rate (as
  // first sized with the idle profile), `requests` requests (0: as many as a
  // run), workload seed `seed` (kept apart from the runs' seeds, so the
  // refit is not tuned on the runs it predicts). multiple 0: no warm-up,
  // the simulator uses the idle profile.
  struct Warmup {
    double multiple = 0.9;
    int64_t requests = 0;
    uint64_t seed = 1000;
  } warmup;
  // Time a few of the profile's shapes again before the warm-up and before
  // every run (`profile --shapes-of`), and scale the simulator's cost model
  // by the machine's speed then against the warm-up's: a shared machine
  // drifts 10-15% within half an hour (docs/real-engine.md).
  bool speed_check = true;
  // Policies whose simulated run is compared with the real one (fidelity).
  std::vector<std::string> fidelity_policies = {"vllm", "sarathi", "cacheopt"};
  // The real capacity search: for each of these policies, bisection on the
  // server's load (as a multiple of the reference rate, in [low, high]) for
  // the highest one where TTFT and token-level TBT SLOs each hold for
  // `target` of the requests, beside the simulator's capacity on the same
  // tiers. Empty: no search.
  struct CapacitySearch {
    std::vector<std::string> policies;
    double low = 0.4, high = 2.0, target = 0.9;
    int32_t iterations = 5;
  } capacity_search;

  std::vector<uint64_t> RunSeeds() const { return seeds.empty() ? std::vector<uint64_t>{seed} : seeds; }
};

Result<RealExperimentConfig> ParseRealExperimentConfig(const std::string& text, const std::string& source);
Result<RealExperimentConfig> ReadRealExperimentConfig(const std::string& path);

}  // namespace cacheopt::realexp
