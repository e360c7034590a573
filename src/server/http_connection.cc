#include "server/http_connection.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <limits>

namespace cacheopt {
namespace {

thread_local int tls_socket = -1;

// Waits for `events` on `fd` for up to `ms` (-1: forever); EINTR retried.
int PollFor(int fd, short events, int ms) {
  pollfd p{};
  p.fd = fd;
  p.events = events;
  for (;;) {
    const int n = ::poll(&p, 1, ms);
    if (n >= 0 || errno != EINTR) return n;
  }
}

int Millis(time_t sec, time_t usec) {
  const int64_t ms = static_cast<int64_t>(sec) * 1000 + static_cast<int64_t>(usec) / 1000;
  return static_cast<int>(std::clamp<int64_t>(ms, 0, std::numeric_limits<int>::max()));
}

void IpAndPort(int fd, bool peer, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  const int rc = peer ? ::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len)
                      : ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  if (rc != 0) return;
  if (addr.ss_family == AF_INET) {
    port = ntohs(reinterpret_cast<const sockaddr_in*>(&addr)->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    port = ntohs(reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_port);
  } else {
    return;
  }
  std::array<char, NI_MAXHOST> host{};
  if (::getnameinfo(reinterpret_cast<const sockaddr*>(&addr), len, host.data(), static_cast<socklen_t>(host.size()),
                    nullptr, 0, NI_NUMERICHOST) == 0) {
    ip = host.data();
  }
}

// One request's view of a connection, as cpp-httplib's own SocketStream
// (not exported by the Debian build): reads buffered 4 KiB at a time, each
// read and write waiting at most its timeout.
class ConnectionStream : public httplib::Stream {
 public:
  ConnectionStream(int fd, int read_ms, int write_ms) : fd_(fd), read_ms_(read_ms), write_ms_(write_ms) {}

  bool is_readable() const override { return PollFor(fd_, POLLIN, read_ms_) > 0; }
  bool is_writable() const override { return PollFor(fd_, POLLOUT, write_ms_) > 0; }

  ssize_t read(char* ptr, size_t size) override {
    if (off_ < len_) {
      const size_t n = std::min(size, len_ - off_);
      std::memcpy(ptr, buf_.data() + off_, n);
      off_ += n;
      return static_cast<ssize_t>(n);
    }
    if (!is_readable()) return -1;
    if (size >= buf_.size()) return Recv(ptr, size);
    const ssize_t n = Recv(buf_.data(), buf_.size());
    if (n <= 0) return n;
    const size_t take = std::min(size, static_cast<size_t>(n));
    std::memcpy(ptr, buf_.data(), take);
    off_ = take;
    len_ = static_cast<size_t>(n);
    return static_cast<ssize_t>(take);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    for (;;) {
      const ssize_t n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
      if (n >= 0 || errno != EINTR) return n;
    }
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override { IpAndPort(fd_, true, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { IpAndPort(fd_, false, ip, port); }
  socket_t socket() const override { return fd_; }

 private:
  ssize_t Recv(char* p, size_t n) {
    for (;;) {
      const ssize_t r = ::recv(fd_, p, n, 0);
      if (r >= 0 || errno != EINTR) return r;
    }
  }

  int fd_;
  int read_ms_, write_ms_;
  std::array<char, 4096> buf_{};
  size_t off_ = 0, len_ = 0;
};

}  // namespace

HttpServer::HttpServer(size_t threads) {
  new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
}

bool HttpServer::process_and_close_socket(socket_t sock) {
  // As cpp-httplib's own loop (process_server_socket), except that an idle
  // keep-alive connection notices a stopping server within 50 ms.
  tls_socket = static_cast<int>(sock);
  const int read_ms = Millis(read_timeout_sec_, read_timeout_usec_);
  const int write_ms = Millis(write_timeout_sec_, write_timeout_usec_);
  const auto keep_alive = [&] {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(keep_alive_timeout_sec_);
    while (svr_sock_ != INVALID_SOCKET) {
      const int n = PollFor(sock, POLLIN, 50);
      if (n != 0) return n > 0;
      if (std::chrono::steady_clock::now() >= deadline) return false;
    }
    return false;
  };
  bool ok = false;
  for (size_t left = keep_alive_max_count_; left > 0 && svr_sock_ != INVALID_SOCKET && keep_alive(); --left) {
    ConnectionStream strm(sock, read_ms, write_ms);
    bool connection_closed = false;
    ok = process_request(strm, left == 1, connection_closed, nullptr);
    if (!ok || connection_closed) break;
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  tls_socket = -1;
  return ok;
}

bool HttpServer::SetListenBacklog(int backlog) {
  const socket_t sock = svr_sock_;
  return sock != INVALID_SOCKET && ::listen(sock, backlog) == 0;  // Linux: a second listen() resizes
}

int CurrentConnectionSocket() { return tls_socket; }

bool PeerClosed(int fd) {
  if (fd < 0) return false;
  pollfd p{};
  p.fd = fd;
  p.events = POLLIN | POLLRDHUP;
  int n = 0;
  do {
    n = ::poll(&p, 1, 0);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return false;
  if (p.revents & (POLLHUP | POLLERR | POLLNVAL)) return true;
  if (p.revents & POLLIN) {
    // Readable: either request bytes (a pipelined request; the client is
    // still there) or the end of the stream.
    char c = 0;
    const ssize_t r = ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (r == 0) return true;
    if (r < 0) return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
    return false;
  }
  return (p.revents & POLLRDHUP) != 0;
}

}  // namespace cacheopt
