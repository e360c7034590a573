#include "server/lb_agent.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <deque>
#include <vector>

namespace cacheopt {

std::string AgentLine(const AgentState& s) {
  if (!s.engine_alive) return "down #engine not running\n";
  switch (s.phase) {
    case AgentState::Phase::kLoading: return "down #loading\n";
    case AgentState::Phase::kDraining: return "drain\n";
    case AgentState::Phase::kServing: break;
  }
  const int64_t waiting = std::isfinite(s.waiting) ? std::llround(std::max(0.0, s.waiting)) : 0;
  return "up ready " + std::to_string(AgentWeightPercent(waiting, s.kv_usage)) + "%\n";
}

LbAgent::LbAgent(LbAgentOptions opts, std::function<AgentState()> state)
    : opts_(std::move(opts)), state_(std::move(state)) {}

LbAgent::~LbAgent() {
  Stop();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  for (int fd : wake_) {
    if (fd >= 0) ::close(fd);
  }
}

Status LbAgent::Bind() {
  const std::string where = opts_.host + ":" + std::to_string(opts_.port);
  if (opts_.port < 0 || opts_.port > 65535)
    return Status::InvalidArgument("--lb-agent-port must be in [0, 65535], got " + std::to_string(opts_.port));
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(opts_.port);
  if (::getaddrinfo(opts_.host.c_str(), port.c_str(), &hints, &res) != 0 || res == nullptr)
    return Status::IoError("cannot listen for the HAProxy agent on " + where + ": unknown address");
  int fd = ::socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, res->ai_protocol);
  if (fd < 0) {
    ::freeaddrinfo(res);
    return Status::IoError("cannot listen for the HAProxy agent on " + where + ": " + std::strerror(errno));
  }
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const int rc = ::bind(fd, res->ai_addr, res->ai_addrlen);
  const int err = errno;
  ::freeaddrinfo(res);
  if (rc != 0 || ::listen(fd, 64) != 0) {
    const int e = rc != 0 ? err : errno;
    ::close(fd);
    return Status::IoError("cannot listen for the HAProxy agent on " + where + ": " + std::strerror(e) +
                           (e == EADDRINUSE ? " (choose another --lb-agent-port)" : ""));
  }
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = addr.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port)
                                     : ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  listen_fd_ = fd;
  if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) return Status::IoError("cannot create the agent's wake pipe");
  return Status::Ok();
}

void LbAgent::Start() {
  if (listen_fd_ < 0 || thread_.joinable()) return;
  thread_ = std::thread([this] { Run(); });
}

void LbAgent::Stop() {
  if (!thread_.joinable()) return;
  const char b = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_[1], &b, 1);
  thread_.join();
}

void LbAgent::Run() {
  using Clock = std::chrono::steady_clock;
  struct Open {
    int fd;
    Clock::time_point deadline;
    size_t drained = 0;
  };
  // Bytes of a peer's request read (and dropped) before closing anyway.
  constexpr size_t kMaxDrain = 64 * 1024;
  std::deque<Open> open;
  std::vector<pollfd> fds;
  char buf[4096];
  for (;;) {
    fds.clear();
    fds.push_back({wake_[0], POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    for (const Open& o : open) fds.push_back({o.fd, POLLIN, 0});
    int timeout_ms = -1;
    if (!open.empty()) {
      const auto next = std::min_element(open.begin(), open.end(), [](const Open& a, const Open& b) {
                          return a.deadline < b.deadline;
                        })->deadline;
      timeout_ms = static_cast<int>(std::max<int64_t>(
          0, std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now()).count() + 1));
    }
    if (::poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR) break;
    if (fds[0].revents != 0) break;  // Stop
    // Drain what peers sent and close those that finished, overflowed or
    // overstayed (fds[2 + i] is open[i]).
    const auto now = Clock::now();
    std::deque<Open> keep;
    for (size_t i = 0; i < open.size(); ++i) {
      Open& o = open[i];
      bool done = now >= o.deadline;
      if (!done && fds[2 + i].revents != 0) {
        for (;;) {
          const ssize_t n = ::recv(o.fd, buf, sizeof buf, 0);
          if (n > 0) {
            o.drained += static_cast<size_t>(n);
            if (o.drained > kMaxDrain) {
              done = true;
              break;
            }
            continue;
          }
          if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) done = true;
          break;
        }
      }
      if (done) {
        ::close(o.fd);
      } else {
        keep.push_back(o);
      }
    }
    open.swap(keep);
    // Then the new connections: each is answered at once.
    if (fds[1].revents & POLLIN) {
      for (;;) {
        const int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (c < 0) break;  // EAGAIN, or a transient error: poll again
        const std::string line = AgentLine(state_());
        // Counted before the send: a peer that has read the line may look at
        // the count at once.
        answered_.fetch_add(1, std::memory_order_relaxed);
        // A fresh socket's send buffer holds a line; a short write is the
        // peer's problem (it closed), not ours.
        [[maybe_unused]] const ssize_t n = ::send(c, line.data(), line.size(), MSG_NOSIGNAL);
        ::shutdown(c, SHUT_WR);
        if (static_cast<int>(open.size()) >= std::max(1, opts_.max_open)) {
          ::close(open.front().fd);
          open.pop_front();
        }
        open.push_back({c, Clock::now() + std::chrono::milliseconds(opts_.linger_ms), 0});
      }
    }
  }
  for (const Open& o : open) ::close(o.fd);
}

}  // namespace cacheopt
