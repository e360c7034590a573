#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "serve_flags.h"
#include "default_model.h"
#include "policy_flags.h"
#include "calibration/cpu_cost_profile.h"
#include "server/server.h"
#include "sim/steps_log.h"

namespace cacheopt {
namespace {

// As commands.h's BadInput (not included here: see generate_flags.h).
int BadInput(const Status& s) {
  std::cerr << "error: " << s.message() << "\n";
  return 2;
}


}  // namespace

void AddServeFlags(CLI::App* app, ServeFlags* f) {
  app->add_option("--model", f->model,
                  "GGUF or llama2.c checkpoint (default: ../shared's stories260K, else a random-weight tiny model)");
  app->add_option("--tokenizer", f->tokenizer, "llama2.c tokenizer (default: found beside the checkpoint)");
  app->add_option("--context", f->context, "Usable context (0: the model's trained context, else the file's)")
      ->capture_default_str();
  app->add_option("--served-model-name", f->served_model_name,
                  "The model name clients send (default: the model file's name, e.g. stories260K)");
  app->add_option("--chat-template", f->chat_template,
                  "llama-2, llama-3, chatml, mistral-v1, mistral-v3, mistral-v3-tekken, mistral-v7 or plain "
                  "(default: the GGUF file's tokenizer.chat_template when recognised, else plain for TinyStories "
                  "models and llama-2 for others; docs/models.md)");
  app->add_option("--policy", f->policy, "Scheduling policy")->capture_default_str();
  app->add_option("--set", f->set, "Policy knob KEY=VALUE (repeatable; cacheopt and s3 default to estimator=text)");
  app->add_option("--preemption-mode", f->preemption_mode, "recompute or swap (policies that offer both)")
      ->capture_default_str();
  app->add_option("--host", f->host, "Address to listen on")->capture_default_str();
  app->add_option("--port", f->port, "Port (0: any free one)")->capture_default_str();
  auto* dev_blocks = app->add_option("--kv-device-blocks", f->kv_device_blocks, "Device KV blocks (default: 1 GiB worth)");
  auto* dev_mem = app->add_option("--kv-device-memory", f->kv_device_memory, "Device KV tier size, e.g. 256MiB");
  dev_blocks->excludes(dev_mem);
  auto* host_blocks = app->add_option("--kv-host-blocks", f->kv_host_blocks, "Host (swap) KV blocks (default: as many as the device)");
  auto* host_mem = app->add_option("--kv-host-memory", f->kv_host_memory, "Host (swap) KV tier size, e.g. 4GiB");
  host_blocks->excludes(host_mem);
  app->add_option("--max-concurrency", f->max_concurrency, "Requests in the engine at once")->capture_default_str();
  app->add_option("--max-queue", f->max_queue, "Requests that may wait for the engine; beyond: 429")
      ->capture_default_str();
  app->add_option("--max-n", f->max_n, "Choices per prompt a request may ask for (n); above: 400")
      ->capture_default_str();
  app->add_option("--max-logprobs", f->max_logprobs,
                  "Log-probability alternatives per token (logprobs, top_logprobs); above: 400")
      ->capture_default_str();
  app->add_option("--max-prompts", f->max_prompts, "Prompts in one /v1/completions list; above: 400")
      ->capture_default_str();
  app->add_option("--api-key", f->api_key, "Require 'Authorization: Bearer KEY' on /v1/* (also $CACHEOPT_API_KEY)")
      ->envname("CACHEOPT_API_KEY");
  app->add_option("--max-body", f->max_body, "Largest request body; larger: 413")->capture_default_str();
  app->add_option("--max-header", f->max_header,
                  "Largest request head (request line and headers); larger: 431 (one line: at most 8KiB)")
      ->capture_default_str();
  app->add_option("--max-connections", f->max_connections,
                  "Open connections; beyond: 503 (0: the connection threads + 256)")
      ->capture_default_str();
  app->add_option("--grace-period", f->grace_period, "Seconds a SIGTERM/SIGINT drain waits for in-flight requests")
      ->capture_default_str();
  app->add_option("--lb-agent-port", f->lb_agent_port,
                  "Answer HAProxy's agent-check on this port of --host: 'up ready NN%' (weight from KV use and "
                  "queue depth), 'drain' while shutting down, 'down' while loading or when the engine failed "
                  "(docs/scale-out.md; 0: any free port; default: off)");
  app->add_option("--threads", f->threads, "Compute threads (0: every hardware thread)");
  app->add_option("--kv-cache-dtype", f->kv_cache_dtype, "KV cache storage: f32, f16 or q8 (int8, a scale per row)")
      ->capture_default_str();
  app->add_option("--cost-model", f->cost_model,
                  "A cost profile of this model (cacheopt profile): seeds the engine's cost model instead of the "
                  "short start-up calibration");
  app->add_option("--kv-events-endpoint", f->kv_events_endpoint,
                  "Publish prefix-cache block events in vLLM's format on this ZMQ PUB endpoint, e.g. tcp://*:5557 "
                  "(bound when it holds '*' or is ipc://, else connected, as vLLM); default: off");
  app->add_option("--kv-events-replay-endpoint", f->kv_events_replay_endpoint,
                  "ZMQ ROUTER endpoint (bound) that replays kept event batches from a sequence number");
  app->add_option("--kv-events-topic", f->kv_events_topic, "Topic frame of every event message")->capture_default_str();
  app->add_option("--kv-events-buffer-steps", f->kv_events_buffer_steps, "Event batches kept for replay")
      ->capture_default_str();
  app->add_option("--kv-events-hwm", f->kv_events_hwm, "ZMQ send high-water mark of the PUB socket (0: none)")
      ->capture_default_str();
  app->add_option("--steps-log", f->steps_log,
                  "Write one JSON line per engine step: the batch the cost model predicts from and the measured "
                  "split (forward, sampling, scheduling, loop); see cacheopt cost-replay");
}

int RunServe(const ServeFlags& f) {
  ServerOptions o;
  ChooseModel(f.model, f.tokenizer, f.context, "serve", &o.engine.model);
  o.engine.policy = f.policy;
  o.engine.threads = f.threads;
  const auto kv_dtype = KvDtypeFromName(f.kv_cache_dtype);
  if (!kv_dtype)
    return BadInput(Status::InvalidArgument("unknown --kv-cache-dtype '" + f.kv_cache_dtype + "'; valid: f32, f16, q8"));
  o.engine.kv_dtype = *kv_dtype;
  if (!f.cost_model.empty()) {
    auto p = ReadCpuCostProfile(f.cost_model);
    if (!p.ok()) return BadInput(p.status());
    for (const CpuProfileStep& st : p->steps) o.engine.seed_steps.push_back({st.seqs, st.seconds});
    // Copies in the server's block size: the same bytes.
    for (const CpuProfileCopy& cp : p->copies)
      o.engine.seed_copies.push_back(
          {std::max(1, static_cast<int32_t>(static_cast<int64_t>(cp.blocks) * p->block_size / o.engine.block_size)),
           cp.to_host, cp.seconds});
    o.engine.seed_kv_bytes_per_token = p->kv_bytes_per_token;
    o.engine.seed_source = f.cost_model;
    if (o.engine.seed_steps.empty()) return BadInput(Status::InvalidArgument(f.cost_model + " holds no timed step"));
    std::cerr << "serve: cost model seeded from " << f.cost_model << " (" << p->steps.size() << " timed steps)\n";
  }
  std::ofstream steps;
  if (!f.steps_log.empty()) {
    steps.open(f.steps_log);
    if (!steps) return BadInput(Status::IoError("cannot write --steps-log " + f.steps_log));
    // Flushed per line: a server stopped by a signal keeps every step it logged.
    o.engine.step_observer = [&steps](const StepRecord& r) { WriteRealStepLine(steps, r), steps.flush(); };
  }
  o.engine.device_blocks = f.kv_device_blocks;
  o.engine.host_blocks = f.kv_host_blocks;
  if (!f.kv_device_memory.empty()) {
    auto b = ParseByteSize(f.kv_device_memory, "--kv-device-memory");
    if (!b.ok()) return BadInput(b.status());
    if (*b <= 0) return BadInput(Status::InvalidArgument("--kv-device-memory must be > 0"));
    o.engine.device_bytes = *b;
  }
  if (!f.kv_host_memory.empty()) {
    auto b = ParseByteSize(f.kv_host_memory, "--kv-host-memory");
    if (!b.ok()) return BadInput(b.status());
    o.engine.host_bytes = *b;
    if (*b == 0) o.engine.host_blocks = 0;  // no host tier
  }
  if (Status s = ApplyPolicyFlags(f.preemption_mode, f.set, &o.engine.preemption_mode, &o.engine.knobs); !s.ok())
    return BadInput(s);
  if (f.max_concurrency < 1) return BadInput(Status::InvalidArgument("--max-concurrency must be >= 1"));
  if (f.max_queue < 0) return BadInput(Status::InvalidArgument("--max-queue must be >= 0"));
  if (f.max_n < 1) return BadInput(Status::InvalidArgument("--max-n must be >= 1"));
  if (f.max_logprobs < 0) return BadInput(Status::InvalidArgument("--max-logprobs must be >= 0"));
  if (f.max_prompts < 1) return BadInput(Status::InvalidArgument("--max-prompts must be >= 1"));
  if (!(f.grace_period >= 0)) return BadInput(Status::InvalidArgument("--grace-period must be >= 0"));
  auto body = ParseByteSize(f.max_body, "--max-body");
  if (!body.ok()) return BadInput(body.status());
  if (*body < 1024) return BadInput(Status::InvalidArgument("--max-body must be at least 1KiB"));
  o.max_body_bytes = static_cast<size_t>(*body);
  auto header = ParseByteSize(f.max_header, "--max-header");
  if (!header.ok()) return BadInput(header.status());
  if (*header < 1024 || *header > (int64_t{1} << 20))
    return BadInput(Status::InvalidArgument("--max-header must be between 1KiB and 1MiB, got " + f.max_header));
  o.max_header_bytes = static_cast<size_t>(*header);
  if (f.max_connections < 0) return BadInput(Status::InvalidArgument("--max-connections must be >= 0"));
  o.max_connections = f.max_connections;
  o.served_model_name = f.served_model_name;
  o.chat_template = f.chat_template;
  o.host = f.host;
  o.port = f.port;
  o.max_concurrency = f.max_concurrency;
  o.max_queue = f.max_queue;
  o.limits = RequestLimits{.max_n = f.max_n, .max_logprobs = f.max_logprobs, .max_prompts = f.max_prompts};
  o.api_key = f.api_key;
  o.grace_period_s = f.grace_period;
  if (f.lb_agent_port < -1 || f.lb_agent_port > 65535)
    return BadInput(Status::InvalidArgument("--lb-agent-port must be in [0, 65535], got " +
                                            std::to_string(f.lb_agent_port)));
  o.lb_agent_port = f.lb_agent_port;
  o.handle_signals = true;
  if (!f.kv_events_endpoint.empty()) {
    KvEventsOptions k;
    k.endpoint = f.kv_events_endpoint;
    k.replay_endpoint = f.kv_events_replay_endpoint;
    k.topic = f.kv_events_topic;
    k.buffer_steps = f.kv_events_buffer_steps;
    k.hwm = f.kv_events_hwm;
    o.kv_events = k;
  } else if (!f.kv_events_replay_endpoint.empty()) {
    return BadInput(Status::InvalidArgument("--kv-events-replay-endpoint needs --kv-events-endpoint"));
  }
  Server* server_ptr = nullptr;
  o.on_ready = [&server_ptr] {
    std::printf("Try it:\n%s\n", server_ptr->CurlExample().c_str());
    std::fflush(stdout);
  };

  Server server(std::move(o));
  server_ptr = &server;
  Status s = server.Bind();
  if (!s.ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return 1;
  }
  s = server.Run();
  if (!s.ok()) return BadInput(s);
  return 0;
}

}  // namespace cacheopt
