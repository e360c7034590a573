#include "server/server.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>

#include "cacheopt/policy_registry.h"

namespace cacheopt {
namespace {

// Connection threads beyond one per admitted request: /health, /metrics,
// /v1/models and refusals (429, 400, ...) are answered while every admitted
// request holds its thread.
constexpr int32_t kSpareThreads = 16;

size_t PoolThreads(const ServerOptions& o) {
  return static_cast<size_t>(std::max(o.max_concurrency, 1)) + static_cast<size_t>(std::max(o.max_queue, 0)) +
         kSpareThreads;
}

}  // namespace

HttpLimits HttpLimitsFor(const ServerOptions& o) {
  HttpLimits l;
  l.threads = PoolThreads(o);
  l.max_connections = o.max_connections > 0 ? static_cast<size_t>(o.max_connections)
                                            : l.threads + static_cast<size_t>(kExtraConnections);
  l.max_head_bytes = o.max_header_bytes;
  return l;
}

namespace {

// Descriptors besides the connections: the listener, the model file, the
// signal pipe, OpenBLAS, logs.
constexpr rlim_t kOtherDescriptors = 64;

// Each open connection holds a descriptor: raise the soft limit toward the
// hard one so the connection limit, not EMFILE, is what refuses a client.
Status EnsureDescriptors(size_t connections, size_t extra) {
  const rlim_t need = static_cast<rlim_t>(connections) + kOtherDescriptors + static_cast<rlim_t>(extra);
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return Status::Ok();
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < need) {
    lim.rlim_cur = lim.rlim_max == RLIM_INFINITY ? need : std::min(need, lim.rlim_max);
    (void)::setrlimit(RLIMIT_NOFILE, &lim);
    (void)::getrlimit(RLIMIT_NOFILE, &lim);
  }
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < need)
    return Status::InvalidArgument("--max-connections " + std::to_string(connections) + " needs " +
                                   std::to_string(need) + " file descriptors, but the limit is " +
                                   std::to_string(lim.rlim_cur) + " (ulimit -n); lower --max-connections, "
                                   "--max-queue or --max-concurrency, or raise the limit");
  return Status::Ok();
}

// SIGTERM / SIGINT: the handler's only (async-signal-safe) act is a write.
int g_signal_pipe[2] = {-1, -1};

void OnSignal(int sig) {
  const int saved = errno;
  const unsigned char b = static_cast<unsigned char>(sig);
  [[maybe_unused]] const ssize_t n = ::write(g_signal_pipe[1], &b, 1);
  errno = saved;
}

}  // namespace

std::string DefaultServedModelName(const ModelSource& model) {
  if (!model.path.empty()) {
    std::string stem = std::filesystem::path(model.path).stem().string();
    return stem.empty() ? model.path : stem;
  }
  if (model.model != nullptr) return "model";
  return "random-" + model.generate_config;
}

Result<int64_t> ParseByteSize(std::string_view text, std::string_view flag) {
  const auto bad = [&] {
    return Status::InvalidArgument(std::string(flag) + " expects a size such as 1073741824, 512MiB or 4GiB, got '" +
                                   std::string(text) + "'");
  };
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  if (i == 0) return bad();
  const std::string number(text.substr(0, i));
  char* end = nullptr;
  const double v = std::strtod(number.c_str(), &end);
  if (end != number.c_str() + number.size() || !std::isfinite(v) || v < 0) return bad();
  std::string unit;
  for (char c : text.substr(i)) {
    if (c != ' ') unit.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (!unit.empty() && unit.back() == 'b') unit.pop_back();
  if (!unit.empty() && unit.back() == 'i') unit.pop_back();
  double scale = 1;
  if (unit == "k") {
    scale = 1024.0;
  } else if (unit == "m") {
    scale = 1024.0 * 1024;
  } else if (unit == "g") {
    scale = 1024.0 * 1024 * 1024;
  } else if (unit == "t") {
    scale = 1024.0 * 1024 * 1024 * 1024;
  } else if (!unit.empty()) {
    return bad();
  }
  const double bytes = v * scale;
  if (bytes > 9e18) return bad();
  return static_cast<int64_t>(bytes);
}

Server::Server(ServerOptions opts) : opts_(std::move(opts)), http_(HttpLimitsFor(opts_)), routes_([&] {
  HttpRoutesOptions r;
  r.api_key = opts_.api_key;
  r.max_body_bytes = opts_.max_body_bytes;
  r.limits = opts_.limits;
  r.max_choices = std::max(opts_.max_concurrency, 1);
  return r;
}()) {
  // Small writes (SSE chunks, a response's headers then its body) go out at
  // once: with Nagle's algorithm each would wait for the client's delayed
  // ACK, up to 40 ms.
  http_.set_tcp_nodelay(true);
  http_.set_keep_alive_timeout(opts_.keep_alive_timeout_s);
  http_.set_keep_alive_max_count(100);
  routes_.Register(&http_);
}

Server::~Server() {
  Drain(true);
  if (agent_) agent_->Stop();
  if (loop_) loop_->Stop();
  if (listener_.joinable()) {
    http_.stop();
    listener_.join();
  }
  signals_done_ = true;
  if (signals_.joinable()) signals_.join();
}

void Server::Log(const std::string& line) const {
  if (opts_.log) {
    opts_.log(line);
  } else {
    std::cerr << line << "\n";
  }
}

Status Server::Bind() {
  if (opts_.port < 0 || opts_.port > 65535)
    return Status::InvalidArgument("--port must be in [0, 65535], got " + std::to_string(opts_.port));
  if (http_.limits().max_connections < http_.limits().threads)
    return Status::InvalidArgument("--max-connections " + std::to_string(http_.limits().max_connections) +
                                   " is below the " + std::to_string(http_.limits().threads) +
                                   " connection threads (--max-concurrency + --max-queue + 16)");
  // The agent's connections (and its listener and wake pipe) too, when on.
  const size_t agent_fds = opts_.lb_agent_port >= 0 ? static_cast<size_t>(LbAgentOptions{}.max_open) + 3 : 0;
  if (Status s = EnsureDescriptors(http_.limits().max_connections, agent_fds); !s.ok()) return s;
  if (opts_.port == 0) {
    port_ = http_.bind_to_any_port(opts_.host);
    if (port_ < 0) return Status::IoError("cannot listen on " + opts_.host + " (any port)");
  } else {
    if (!http_.bind_to_port(opts_.host, opts_.port))
      return Status::IoError("cannot listen on " + opts_.host + ":" + std::to_string(opts_.port) +
                             " (in use, or not an address of this machine)");
    port_ = opts_.port;
  }
  // Room for every connection the server admits arriving at once.
  http_.SetListenBacklog(static_cast<int>(std::min<size_t>(PoolThreads(opts_), 4096)));
  if (opts_.kv_events) {  // its ports too are taken now or never
    auto p = KvEventPublisher::Open(*opts_.kv_events, [this](const std::string& m) { Log(m); });
    if (!p.ok()) return p.status();
    kv_events_ = std::move(*p);
  }
  if (opts_.lb_agent_port >= 0) {
    LbAgentOptions ao;
    ao.host = opts_.host;
    ao.port = opts_.lb_agent_port;
    agent_ = std::make_unique<LbAgent>(ao, [this] { return LoadState(); });
    if (Status s = agent_->Bind(); !s.ok()) {
      agent_.reset();
      return s;
    }
    agent_->Start();  // "down #loading" from now until the model is loaded
  }
  return Status::Ok();
}

AgentState Server::LoadState() const {
  AgentState a;
  switch (routes_.phase()) {
    case ServerPhase::kLoading: a.phase = AgentState::Phase::kLoading; break;
    case ServerPhase::kReady: a.phase = AgentState::Phase::kServing; break;
    case ServerPhase::kDraining: a.phase = AgentState::Phase::kDraining; break;
  }
  const EngineLoop* loop = live_loop_.load(std::memory_order_acquire);
  // Before the engine exists the phase says loading; a drain keeps reporting
  // "drain" after the engine thread stops, until the process exits.
  a.engine_alive = loop == nullptr || a.phase == AgentState::Phase::kDraining || loop->alive();
  if (const ServingMetrics* m = live_metrics_.load(std::memory_order_acquire)) {
    const ServingMetrics::Load l = m->load();
    a.kv_usage = l.kv_usage;
    a.waiting = l.waiting;
  }
  return a;
}

std::string Server::CurlExample() const {
  std::string auth = opts_.api_key.empty() ? "" : " \\\n  -H 'Authorization: Bearer " + opts_.api_key + "'";
  const std::string host = opts_.host == "0.0.0.0" || opts_.host == "::" ? "127.0.0.1" : opts_.host;
  return "curl http://" + host + ":" + std::to_string(port_) + "/v1/completions \\\n  -H 'Content-Type: application/json'" +
         auth + " \\\n  -d '{\"model\": \"" + model_.name +
         "\", \"prompt\": \"Once upon a time\", \"max_tokens\": 64, \"temperature\": 0, \"stream\": true}'";
}

void Server::Drain(bool force) {
  routes_.StartDraining();  // /health says 503 from this moment
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (drain_ && force) force_ = true;
    drain_ = true;
  }
  if (force) force_ = true;
  cv_.notify_all();
}

void Server::SignalLoop() {
  bool seen = false;
  while (!signals_done_) {
    pollfd p{};
    p.fd = g_signal_pipe[0];
    p.events = POLLIN;
    if (::poll(&p, 1, 100) <= 0) continue;
    unsigned char sig = 0;
    if (::read(g_signal_pipe[0], &sig, 1) != 1) continue;
    const char* name = sig == SIGTERM ? "SIGTERM" : "SIGINT";
    if (!seen) {
      Log(std::string("serve: ") + name + ": draining (a second signal aborts in-flight requests now)");
      Drain(false);
      seen = true;
    } else {
      Log(std::string("serve: ") + name + " again: aborting in-flight requests");
      Drain(true);
    }
  }
}

Status Server::Run() {
  if (port_ < 0) return Status::InvalidArgument("Server::Run before Bind");
  struct sigaction old_term {}, old_int {};
  if (opts_.handle_signals) {
    // Any thread may take the signal (OpenBLAS starts its own before we
    // could mask them), so the handler only writes the signal number to a
    // pipe; the signal thread reads it and starts the drain.
    if (g_signal_pipe[0] < 0 && ::pipe2(g_signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
      return Status::IoError("cannot create the signal pipe");
    struct sigaction sa {};
    sa.sa_handler = OnSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGINT, &sa, &old_int);
    signals_ = std::thread([this] { SignalLoop(); });
  }
  listener_ = std::thread([this] { http_.listen_after_bind(); });
  // stop() is a no-op until the listener runs: wait for it, so that a failed
  // load can stop it.
  for (int i = 0; i < 10000 && !http_.is_running(); ++i) std::this_thread::sleep_for(std::chrono::microseconds(500));
  Log("serve: listening on http://" + opts_.host + ":" + std::to_string(port_) + " (" +
      std::to_string(http_.limits().threads) + " connection threads, at most " +
      std::to_string(http_.limits().max_connections) + " connections open); loading the model");
  if (agent_) Log("serve: HAProxy agent check on " + opts_.host + ":" + std::to_string(agent_->port()));

  // The model and policy. cacheopt and s3 predict output lengths; served,
  // they learn from the prompts' text unless told otherwise.
  RealEngineOptions eo = opts_.engine;
  for (const auto& [knob, value] : ServingKnobDefaults(eo.policy)) eo.knobs.emplace(knob, value);
  eo.kv_events = kv_events_ != nullptr;
  auto engine = RealEngine::Create(eo);
  Status result = Status::Ok();
  int32_t host_blocks = 0;     // read before the engine thread starts:
  double calibration_s = 0;    // from then on only it touches the engine
  if (!engine.ok()) {
    result = engine.status();
  } else {
    engine_ = std::move(*engine);
    const ModelConfig& c = engine_->model().config;
    const RealEngineStats st = engine_->stats();
    host_blocks = st.host_blocks;
    calibration_s = engine_->calibration().seconds;
    model_.name = opts_.served_model_name.empty() ? DefaultServedModelName(eo.model) : opts_.served_model_name;
    model_.created = static_cast<int64_t>(std::time(nullptr));
    model_.context = c.context;
    model_.vocab_size = c.vocab_size;
    model_.block_size = eo.block_size;
    model_.device_blocks = st.device_blocks;
    model_.stop_ids = c.stop_ids;
    model_.tokenizer = &engine_->tokenizer();
    if (opts_.chat_template.empty()) {
      // The file's own template when recognised, else the name's default.
      const auto detected = DetectChatTemplate(engine_->model().chat_template);
      model_.chat_template = detected ? *detected : DefaultChatTemplate(model_.name);
    } else if (auto k = ParseChatTemplateKind(opts_.chat_template)) {
      model_.chat_template = *k;
    } else {
      result = Status::InvalidArgument("unknown --chat-template '" + opts_.chat_template + "'; valid: " +
                                       ChatTemplateNames());
    }
  }
  if (result.ok()) {
    ServingMetricsConfig mc;
    mc.model_name = model_.name;
    mc.block_size = eo.block_size;
    mc.num_gpu_blocks = model_.device_blocks;
    mc.num_cpu_blocks = host_blocks;
    mc.policy = eo.policy;
    metrics_ = std::make_unique<ServingMetrics>(mc);
    queue_ = std::make_unique<RequestQueue>(static_cast<size_t>(std::max(opts_.max_queue, 0)));
    loop_ = std::make_unique<EngineLoop>(engine_.get(), queue_.get(), metrics_.get(),
                                         EngineLoopOptions{.max_concurrency = opts_.max_concurrency,
                                                           .kv_events = kv_events_.get()});
    if (kv_events_) {
      Log("serve: KV events on " + kv_events_->endpoint() +
          (kv_events_->replay_endpoint().empty() ? "" : ", replay on " + kv_events_->replay_endpoint()) +
          ", topic '" + opts_.kv_events->topic + "'" +
          (engine_->session().config().prefix_caching
               ? ""
               : "; the policy does not cache prefixes (knob prefix_caching): no block events will come"));
    }
    loop_->Start();
    live_metrics_.store(metrics_.get(), std::memory_order_release);
    live_loop_.store(loop_.get(), std::memory_order_release);
    EngineLoop* loop = loop_.get();
    routes_.SetHealthCheck([loop] { return loop->alive(); });  // the engine thread runs, healthy
    routes_.StartServing(model_, queue_.get(), metrics_.get());
    char line[512];
    std::snprintf(line, sizeof line,
                  "serve: ready: model '%s' (context %d, vocab %d, chat template %s); policy %s%s; KV %d device + %d "
                  "host blocks of %d tokens; up to %d requests in the engine, %d more queued; calibration %.2f s",
                  model_.name.c_str(), model_.context, model_.vocab_size,
                  std::string(ToString(model_.chat_template)).c_str(), eo.policy.c_str(),
                  eo.knobs.count("estimator") ? (" (estimator " + eo.knobs.at("estimator") + ")").c_str() : "",
                  model_.device_blocks, host_blocks, eo.block_size, opts_.max_concurrency, opts_.max_queue,
                  calibration_s);
    Log(line);
    if (opts_.on_ready) opts_.on_ready();
    WaitForDrain();
  }

  // The engine first: every sink gets its end, so no connection thread
  // waits forever; then the last chunks go out, then the listener stops.
  if (loop_) loop_->Stop();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (routes_.active() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  http_.stop();
  listener_.join();
  if (agent_) agent_->Stop();
  if (opts_.handle_signals) {
    signals_done_ = true;
    signals_.join();
    sigaction(SIGTERM, &old_term, nullptr);
    sigaction(SIGINT, &old_int, nullptr);
  }
  if (result.ok()) Log("serve: stopped");
  return result;
}

void Server::WaitForDrain() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return drain_; });
  }
  routes_.StartDraining();
  queue_->Close();
  using Clock = std::chrono::steady_clock;
  const auto wait_until = [&](Clock::time_point deadline, bool stop_on_force) {
    while (routes_.active() > 0 && Clock::now() < deadline && !(stop_on_force && force_)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  };
  const int64_t in_flight = routes_.active();
  char line[160];
  std::snprintf(line, sizeof line, "serve: draining: %lld requests in flight, grace period %g s",
                static_cast<long long>(in_flight), opts_.grace_period_s);
  Log(line);
  wait_until(Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(std::max(0.0, opts_.grace_period_s))),
             true);
  if (routes_.active() > 0) {
    Log("serve: aborting " + std::to_string(routes_.active()) + " requests");
    loop_->AbortAll();
    // Their last chunks ("abort") still go out before the listener stops.
    wait_until(Clock::now() + std::chrono::seconds(5), false);
  }
}

}  // namespace cacheopt
