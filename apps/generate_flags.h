// `generate`'s flags. Apart from commands.h so its source need not include
// the simulator's headers: core/random's SplitMix64 class and the sampler's
// SplitMix64 function would meet there (-Wshadow).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace cacheopt {

// `generate`: one prompt through the real engine on this CPU, printed like
// llama2.c's run.c (the prompt, then the continuation token by token).
struct GenerateFlags {
  std::string model;      // "" = ../shared's stories260K, else a random `tiny`
  std::string tokenizer;  // llama2.c only
  int32_t context = 0;    // 0 = the known trained context, else the file's
  std::string prompt;
  int32_t n = 256;           // generated tokens (max_tokens); 0 = up to the context
  float temperature = 1.0f;  // run.c's defaults; 0 = greedy
  float top_p = 0.9f;
  int32_t top_k = 0;
  uint64_t seed = 0;
  std::string policy = "vllm";
  std::vector<std::string> set;  // KEY=VALUE policy knobs
  std::string preemption_mode = "recompute";
  int32_t kv_device_blocks = 0;  // 0 = the engine's default
  int32_t kv_host_blocks = -1;   // < 0 = the engine's default
  int32_t threads = 0;
  std::string kv_cache_dtype = "f32";
  std::string steps_log;  // "" = none; one JSON line per engine step (sim/steps_log.h)
};
void AddGenerateFlags(CLI::App* app, GenerateFlags* f);
int RunGenerate(const GenerateFlags& f);

}  // namespace cacheopt
