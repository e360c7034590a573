#include "server/connection_refuser.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <vector>

namespace cacheopt {
namespace {

using Clock = std::chrono::steady_clock;

// How long to wait for the request before answering, and for the client to
// close after the answer.
constexpr auto kReadWait = std::chrono::milliseconds(100);
constexpr auto kLinger = std::chrono::milliseconds(500);

struct Pending {
  int fd;
  bool answered;
  Clock::time_point deadline;
};

// Reads and discards what is there without waiting; false at end of stream
// or on an error.
bool Drain(int fd) {
  std::array<char, 4096> buf{};
  for (int i = 0; i < 16; ++i) {  // at most 64 KiB per call
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n > 0) continue;
    if (n == 0) return false;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  }
  return true;
}

}  // namespace

ConnectionRefuser::ConnectionRefuser(std::string response, size_t max_pending)
    : response_(std::move(response)), max_pending_(max_pending), thread_([this] { Loop(); }) {}

ConnectionRefuser::~ConnectionRefuser() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void ConnectionRefuser::Refuse(int fd) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stop_ && incoming_.size() + in_progress_ < max_pending_) {
      incoming_.push_back(fd);
      cv_.notify_all();
      return;
    }
    ++dropped_;
  }
  ::close(fd);
}

int64_t ConnectionRefuser::answered() const {
  std::lock_guard<std::mutex> lock(mu_);
  return answered_;
}

int64_t ConnectionRefuser::dropped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_;
}

void ConnectionRefuser::Loop() {
  std::vector<Pending> pending;
  std::vector<pollfd> polls;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (pending.empty()) cv_.wait(lock, [&] { return stop_ || !incoming_.empty(); });
      if (stop_) break;
      for (int fd : incoming_) pending.push_back({fd, false, Clock::now() + kReadWait});
      incoming_.clear();
      in_progress_ = pending.size();
    }
    polls.assign(pending.size(), pollfd{});
    for (size_t i = 0; i < pending.size(); ++i) {
      polls[i].fd = pending[i].fd;
      polls[i].events = POLLIN;
    }
    // Short polls, so new sockets are picked up within 20 ms.
    (void)::poll(polls.data(), polls.size(), 20);
    const auto now = Clock::now();
    size_t kept = 0;
    int64_t answered = 0;
    for (size_t i = 0; i < pending.size(); ++i) {
      Pending p = pending[i];
      bool open = true;
      if (polls[i].revents != 0) open = Drain(p.fd);
      if (!p.answered && (!open || polls[i].revents != 0 || now >= p.deadline)) {
        // The request (or as much as came) is read: answer and half-close.
        (void)::send(p.fd, response_.data(), response_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        ::shutdown(p.fd, SHUT_WR);
        p.answered = true;
        p.deadline = now + kLinger;
        ++answered;
      } else if (p.answered && (!open || now >= p.deadline)) {
        ::close(p.fd);
        continue;
      }
      pending[kept++] = p;
    }
    pending.resize(kept);
    std::lock_guard<std::mutex> lock(mu_);
    answered_ += answered;
    in_progress_ = pending.size();
  }
  for (const Pending& p : pending) ::close(p.fd);
  std::lock_guard<std::mutex> lock(mu_);
  for (int fd : incoming_) ::close(fd);
  incoming_.clear();
}

}  // namespace cacheopt
