#include "server/lb_agent.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <string>
#include <vector>

namespace cacheopt {
namespace {

using Phase = AgentState::Phase;

AgentState Serving(double kv, double waiting) {
  AgentState s;
  s.phase = Phase::kServing;
  s.kv_usage = kv;
  s.waiting = waiting;
  return s;
}

TEST(LbAgentTest, LineForEachEngineState) {
  AgentState loading;
  EXPECT_EQ(AgentLine(loading), "down #loading\n");
  EXPECT_EQ(AgentLine(Serving(0, 0)), "up ready 100%\n");
  EXPECT_EQ(AgentLine(Serving(0.5, 0)), "up ready 75%\n");
  AgentState draining = Serving(0.5, 3);
  draining.phase = Phase::kDraining;
  EXPECT_EQ(AgentLine(draining), "drain\n");
  // A failed engine is down whatever the phase.
  for (Phase p : {Phase::kLoading, Phase::kServing, Phase::kDraining}) {
    AgentState dead = Serving(0, 0);
    dead.phase = p;
    dead.engine_alive = false;
    EXPECT_EQ(AgentLine(dead), "down #engine not running\n");
  }
}

// The weight is the core's AgentWeightPercent (agent_weight_test.cc tests the
// formula), the one the simulated leastconn router reads.
TEST(LbAgentTest, ServingLineCarriesTheSharedWeight) {
  EXPECT_EQ(AgentLine(Serving(0, 0)), "up ready 100%\n");
  EXPECT_EQ(AgentLine(Serving(0.25, 1)), "up ready 44%\n");  // 100 x 0.875 / 2 = 43.75
  EXPECT_EQ(AgentLine(Serving(1, 0)), "up ready 50%\n");     // full KV alone halves it
  EXPECT_EQ(AgentLine(Serving(0.5, 1000)), "up ready 1%\n"); // never 0: that is a drain
  EXPECT_EQ(AgentLine(Serving(NAN, 0)), "up ready 50%\n");   // unknown KV: assume full
  for (double kv = 0; kv <= 1.0; kv += 0.25)
    for (int w = 0; w < 5; ++w)
      EXPECT_EQ(AgentLine(Serving(kv, w)), "up ready " + std::to_string(AgentWeightPercent(w, kv)) + "%\n");
}

// Connects to 127.0.0.1:port, sends `request`, reads until EOF (at most
// 2 s); the reply.
std::string Ask(int port, const std::string& request = "", bool* timed_out = nullptr) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return "<connect failed>";
  }
  if (!request.empty()) {
    size_t off = 0;
    while (off < request.size()) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, 200) <= 0) break;  // the agent stopped reading: fine
      const ssize_t n = ::send(fd, request.data() + off, request.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
  }
  std::string out;
  char buf[256];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      if (timed_out) *timed_out = true;
      break;
    }
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

TEST(LbAgentTest, AnswersOverTcpFromTheLiveState) {
  std::mutex mu;
  AgentState state;
  LbAgent agent({}, [&] {
    std::lock_guard<std::mutex> lock(mu);
    return state;
  });
  ASSERT_TRUE(agent.Bind().ok());
  ASSERT_GT(agent.port(), 0);
  agent.Start();
  EXPECT_EQ(Ask(agent.port()), "down #loading\n");
  {
    std::lock_guard<std::mutex> lock(mu);
    state = Serving(0.2, 1);
  }
  EXPECT_EQ(Ask(agent.port()), "up ready 45%\n");  // 100 x 0.9 / 2
  // HAProxy's agent-send string is read and ignored.
  EXPECT_EQ(Ask(agent.port(), "backend/replica1\n"), "up ready 45%\n");
  {
    std::lock_guard<std::mutex> lock(mu);
    state.phase = Phase::kDraining;
  }
  EXPECT_EQ(Ask(agent.port()), "drain\n");
  EXPECT_EQ(agent.answered(), 4);
  agent.Stop();
}

TEST(LbAgentTest, PortInUseIsAClearError) {
  LbAgent first({}, [] { return AgentState{}; });
  ASSERT_TRUE(first.Bind().ok());
  LbAgentOptions o;
  o.port = first.port();
  LbAgent second(o, [] { return AgentState{}; });
  const Status s = second.Bind();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("HAProxy agent"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(std::to_string(first.port())), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("in use"), std::string::npos) << s.message();
  LbAgentOptions bad;
  bad.port = 70000;
  EXPECT_FALSE(LbAgent(bad, [] { return AgentState{}; }).Bind().ok());
}

TEST(LbAgentTest, MalformedOrSilentPeersDoNotStopIt) {
  LbAgentOptions o;
  // Silent peers linger far longer than the bound below, so an agent they
  // blocked would miss it by seconds; the bound itself leaves room for a
  // loaded machine (it once failed at 1 s under a load of 20 on 2 cores).
  o.linger_ms = 10000;
  o.max_open = 4;
  LbAgent agent(o, [] { return Serving(0, 0); });
  ASSERT_TRUE(agent.Bind().ok());
  agent.Start();
  // Binary garbage, and more than the agent drains: answered all the same.
  std::string junk(200 * 1024, '\0');
  for (size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<char>(i * 131 + 7);
  EXPECT_EQ(Ask(agent.port(), junk), "up ready 100%\n");
  // Peers that connect and then say and read nothing hold no thread: more of
  // them than max_open, and the next check is still answered at once.
  std::vector<int> silent;
  for (int i = 0; i < 10; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(agent.port()));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    silent.push_back(fd);
  }
  const auto t0 = std::chrono::steady_clock::now();
  bool timed_out = false;
  EXPECT_EQ(Ask(agent.port(), "", &timed_out), "up ready 100%\n");
  EXPECT_FALSE(timed_out);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 4.0);
  for (int fd : silent) ::close(fd);
  EXPECT_EQ(agent.answered(), 12);
}

}  // namespace
}  // namespace cacheopt
