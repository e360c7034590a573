// HAProxy's agent check (configuration manual 2.6, section 5.2,
// "agent-check"): HAProxy opens a TCP connection to the agent port, may send
// its `agent-send` string, and reads one ASCII line of words. We answer
//   "up ready NN%"  serving: NN is the weight, as a percentage of the
//                   server's configured weight (AgentWeightPercent);
//   "drain"         shutting down: no new connections, in-flight ones finish;
//   "down #why"     loading, or the engine failed ("why" says which).
// "ready" cancels a DRAIN this agent set before (a replica restarted on the
// same port): HAProxy only lets the agent undo what the agent did. It also
// cancels a drain an operator set on the CLI, so take a replica out by
// SIGTERM (which this agent reports), or disable its agent check first.
//
// The agent answers every connection at once and ignores whatever the peer
// sends (agent-send, or garbage): it reads and discards up to a bound, then
// closes, so a peer that sends nothing, too much or never closes cannot
// stall HAProxy's other checks. One thread, poll()-driven.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "cacheopt/metrics/agent_weight.h"  // the weight: one formula with the simulated router
#include "cacheopt/status.h"

namespace cacheopt {

// What the agent reports on.
struct AgentState {
  enum class Phase : int8_t { kLoading, kServing, kDraining };
  Phase phase = Phase::kLoading;
  bool engine_alive = true;  // false: the engine thread stopped or failed
  double kv_usage = 0;       // device KV blocks in use / total, 0-1
  double waiting = 0;        // requests waiting (scheduler queue + server queue)
};

// The reply line, newline included.
std::string AgentLine(const AgentState& s);

struct LbAgentOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port (see port())
  // How long a connection may stay open after the reply (the peer's unread
  // bytes are drained meanwhile, so the close is clean); then it is closed.
  int linger_ms = 1000;
  // Connections held at once (after replying); beyond, the oldest is closed.
  int max_open = 64;
};

class LbAgent {
 public:
  // `state` is called for each connection, on the agent's thread: keep it
  // cheap and lock-free (atomics).
  LbAgent(LbAgentOptions opts, std::function<AgentState()> state);
  ~LbAgent();
  LbAgent(const LbAgent&) = delete;
  LbAgent& operator=(const LbAgent&) = delete;

  // Binds and listens; an error naming the address when it is taken.
  Status Bind();
  int port() const { return port_; }
  // Serves on its own thread until Stop (or destruction).
  void Start();
  void Stop();
  int64_t answered() const { return answered_.load(std::memory_order_relaxed); }

 private:
  void Run();

  LbAgentOptions opts_;
  std::function<AgentState()> state_;
  int listen_fd_ = -1;
  int port_ = -1;
  int wake_[2] = {-1, -1};  // Stop writes here to end poll()
  std::thread thread_;
  std::atomic<int64_t> answered_{0};
};

}  // namespace cacheopt
