// The OpenAI-compatible server's lifecycle: bind, load the engine (while
// /health answers 503), serve, and on a drain (SIGTERM / SIGINT, or Drain())
// stop accepting work, let in-flight requests finish within a grace period,
// abort the rest, and return.
//
// Threads: the caller's (Run), cpp-httplib's listener and its connection
// pool (one thread per open connection: sized for every request the server
// admits, max_concurrency + max_queue, plus spares for /health, /metrics and
// refusals), the engine thread (EngineLoop), the executor's compute pool,
// and with handle_signals a signal thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "cacheopt/status.h"
#include "runtime/real_engine.h"
#include "server/engine_loop.h"
#include "server/http_connection.h"
#include "server/http_routes.h"
#include "server/kv_event_publisher.h"
#include "server/lb_agent.h"
#include "server/request_queue.h"
#include "server/serving_metrics.h"

namespace cacheopt {

struct ServerOptions {
  RealEngineOptions engine;
  // The model name clients send; "": the model file's stem ("stories260K"),
  // or "random-<config>" for a generated model.
  std::string served_model_name;
  // "llama-2" | "plain"; "": by the model's name (DefaultChatTemplate).
  std::string chat_template;
  std::string host = "127.0.0.1";
  int port = 8000;  // 0: any free port (see port())
  int32_t max_concurrency = 64;  // requests in the engine at once
  int32_t max_queue = 128;       // more may wait for the engine; beyond: 429
  std::string api_key;           // "": no authentication
  RequestLimits limits;          // n, logprobs, prompt lists (--max-n, --max-logprobs, --max-prompts)
  size_t max_body_bytes = kDefaultMaxBodyBytes;
  // A request's head (request line and headers); larger: 431.
  size_t max_header_bytes = kDefaultMaxHeadBytes;
  // Open connections; beyond, 503 and closed. 0: the connection threads
  // (max_concurrency + max_queue + 16) + kExtraConnections.
  int32_t max_connections = 0;
  double grace_period_s = 30;    // a drain's wait for in-flight requests
  // HAProxy's agent check (lb_agent.h) on this port of `host`; 0: any free
  // port (see lb_agent_port()); < 0: off.
  int lb_agent_port = -1;
  // SIGTERM / SIGINT start a drain; a second one aborts at once.
  bool handle_signals = false;
  int keep_alive_timeout_s = 2;
  // Progress lines (loading, ready, draining); null: stderr.
  std::function<void(const std::string&)> log;
  // Called once the server answers requests.
  std::function<void()> on_ready;
  // Publish the prefix cache's block events over ZMQ in vLLM's format
  // (docs/kv-events.md); unset: off.
  std::optional<KvEventsOptions> kv_events;
};

// Connections that may wait for a connection thread by default.
inline constexpr int32_t kExtraConnections = 256;

// The connection threads and open-connection limit `o` gives.
HttpLimits HttpLimitsFor(const ServerOptions& o);

// The served-model name ServerOptions' default gives for `engine`'s model.
std::string DefaultServedModelName(const ModelSource& model);

// A byte count with an optional binary unit: "1073741824", "512MiB", "1GiB",
// "4G", "1.5g", "64K". K, M, G, T (with or without "i" and "B") are powers
// of 1024. Errors name `flag`.
Result<int64_t> ParseByteSize(std::string_view text, std::string_view flag);

class Server {
 public:
  explicit Server(ServerOptions opts);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the listening socket (and the agent's, which answers from now
  // on); an error when an address is taken.
  Status Bind();
  int port() const { return port_; }
  // The agent check's port once bound; -1 when off.
  int lb_agent_port() const { return agent_ ? agent_->port() : -1; }
  // Loads the engine, serves, and returns once a drain has finished (ok),
  // or an error when the engine cannot be built. Bind first.
  Status Run();
  // Starts the drain (any thread; idempotent). A second call with
  // `force` aborts in-flight requests without waiting for the grace period.
  void Drain(bool force = false);

  bool ready() const { return routes_.phase() == ServerPhase::kReady; }
  // What the agent check reports now (any thread).
  AgentState LoadState() const;
  // Valid once ready.
  const ServedModel& model() const { return model_; }
  // A ready-to-paste curl command for this server.
  std::string CurlExample() const;

 private:
  void Log(const std::string& line) const;
  void WaitForDrain();
  void SignalLoop();

  ServerOptions opts_;
  HttpServer http_;
  HttpRoutes routes_;
  int port_ = -1;
  ServedModel model_;
  std::unique_ptr<RealEngine> engine_;
  std::unique_ptr<ServingMetrics> metrics_;
  std::unique_ptr<RequestQueue> queue_;
  std::unique_ptr<KvEventPublisher> kv_events_;  // outlives the loop that publishes
  std::unique_ptr<EngineLoop> loop_;
  std::unique_ptr<LbAgent> agent_;
  // Published for LoadState's threads once built (null while loading).
  std::atomic<const EngineLoop*> live_loop_{nullptr};
  std::atomic<const ServingMetrics*> live_metrics_{nullptr};
  std::thread listener_;
  std::thread signals_;
  std::atomic<bool> signals_done_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool drain_ = false;
  std::atomic<bool> force_{false};
};

}  // namespace cacheopt
