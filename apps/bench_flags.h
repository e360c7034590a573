// `bench`'s flags. Apart from commands.h, as serve_flags.h is, so its source
// includes only the benchmark client's headers.
#pragma once

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace cacheopt {

// `bench`: a benchmark client for any OpenAI-compatible server, following
// vLLM's `vllm bench serve` (docs/bench.md).
struct BenchFlags {
  std::string base_url;
  std::string trace;    // a file (or a trace name)
  std::string dataset;  // a trace name (TraceNames())
  std::string rate;     // requests/s, or "inf"
  int64_t num_prompts = 0;
  double burstiness = NAN;  // NaN: not given
  double arrival_cv = NAN;  // NaN: not given
  uint64_t seed = 0;
  std::vector<std::string> goodput;  // KEY:MS
  std::string save_result;
  std::string model;
  std::string endpoint = "/v1/completions";
  bool ignore_eos = false;
  double length_scale = 8;
  int32_t max_context = 0;      // 0: the server's max_model_len
  int32_t max_concurrency = 0;  // 0: unlimited
  std::string api_key;
  std::string prompt_token_range = "3:256";
  std::string ttft_slo_ms;
  std::string tbt_slo_ms;
  std::string cost_model;  // a CPU cost profile: per-request SLO targets
  double solo_decode_ms = 0;
  double slo_scale = 1.0;
  bool no_probe = false;
  double timeout = 600;  // seconds without news before a request fails
  double time_limit = 0;  // > 0: seconds from the first send; 0: none
  double disconnect_fraction = 0;
  double malformed_fraction = 0;
  bool quiet = false;
};
void AddBenchFlags(CLI::App* app, BenchFlags* f);
int RunBenchCommand(const BenchFlags& f);

}  // namespace cacheopt
