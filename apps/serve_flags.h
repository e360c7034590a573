// `serve`'s flags. Apart from commands.h, as generate_flags.h is, so its
// source includes only the server's headers.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace cacheopt {

// `serve`: the OpenAI-compatible HTTP server over the real engine
// (docs/server.md).
struct ServeFlags {
  std::string model;      // "" = ../shared's stories260K, else a random `tiny`
  std::string tokenizer;  // llama2.c only
  int32_t context = 0;    // 0 = the known trained context, else the file's
  std::string served_model_name;
  std::string chat_template;  // "" = by the model's name
  std::string policy = "cacheopt";
  std::vector<std::string> set;  // KEY=VALUE policy knobs
  std::string preemption_mode = "recompute";
  std::string host = "127.0.0.1";
  int port = 8000;
  int32_t kv_device_blocks = 0;
  std::string kv_device_memory;  // SIZE; "" = the engine's default (1 GiB)
  int32_t kv_host_blocks = -1;
  std::string kv_host_memory;  // SIZE; "" = as many blocks as the device
  int32_t max_queue = 128;
  int32_t max_n = 16;         // choices per prompt (n)
  int32_t max_logprobs = 20;  // logprobs / top_logprobs
  int32_t max_prompts = 32;   // prompts in one /v1/completions list
  int32_t max_concurrency = 64;
  std::string api_key;
  std::string max_body = "4MiB";
  std::string max_header = "16KiB";
  int32_t max_connections = 0;  // 0: the connection threads + 256
  double grace_period = 30;
  int lb_agent_port = -1;  // HAProxy agent check; -1: off, 0: any free port
  int32_t threads = 0;
  std::string kv_cache_dtype = "f32";  // f32, f16, q8
  std::string cost_model;  // a `cacheopt profile` of this model: seeds the cost model (no calibration)
  // KV events (docs/kv-events.md): vLLM's KVEventsConfig fields; off without an endpoint.
  std::string kv_events_endpoint, kv_events_replay_endpoint, kv_events_topic;
  int32_t kv_events_buffer_steps = 10000;
  int32_t kv_events_hwm = 100000;
  std::string steps_log;   // "" = none; one JSON line per engine step (sim/steps_log.h)
};
void AddServeFlags(CLI::App* app, ServeFlags* f);
int RunServe(const ServeFlags& f);

}  // namespace cacheopt
