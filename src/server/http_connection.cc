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

#include "server/openai_response.h"

namespace cacheopt {
namespace {

thread_local int tls_socket = -1;
// Set by the task queue while it hands the listener's own thread a socket
// over the connection limit: process_and_close_socket refuses it.
thread_local bool tls_refusing = false;

// A whole HTTP response with an OpenAI-style error body; it closes the
// connection.
std::string RawErrorResponse(int status, const char* reason, const ApiError& e, bool retry_after) {
  const std::string body = RenderError(e);
  std::string r = "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\n";
  r += "Content-Type: application/json\r\nConnection: close\r\n";
  if (retry_after) r += "Retry-After: 1\r\n";
  r += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return r;
}

// cpp-httplib's pool, with the open connections counted: one over the limit
// is not queued but handed back, on the listener's thread, to
// process_and_close_socket with tls_refusing set.
class LimitedTaskQueue : public httplib::TaskQueue {
 public:
  LimitedTaskQueue(size_t threads, size_t max_open, std::shared_ptr<std::atomic<int64_t>> open,
                   std::shared_ptr<std::atomic<int64_t>> refused)
      : pool_(threads), max_open_(static_cast<int64_t>(max_open)), open_(std::move(open)),
        refused_(std::move(refused)) {}

  void enqueue(std::function<void()> fn) override {
    if (open_->load(std::memory_order_relaxed) >= max_open_) {
      refused_->fetch_add(1, std::memory_order_relaxed);
      tls_refusing = true;
      fn();
      tls_refusing = false;
      return;
    }
    open_->fetch_add(1, std::memory_order_relaxed);
    pool_.enqueue([fn = std::move(fn), open = open_] {
      fn();
      open->fetch_sub(1, std::memory_order_relaxed);
    });
  }
  void shutdown() override { pool_.shutdown(); }

 private:
  httplib::ThreadPool pool_;
  const int64_t max_open_;
  std::shared_ptr<std::atomic<int64_t>> open_, refused_;
};

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
//
// It also bounds the request's head (RequestHeadLimit): past the limit it
// writes a 431 itself, reports the end of the stream, and drops whatever the
// library then writes (its own 400 for the cut-short head).
class ConnectionStream : public httplib::Stream {
 public:
  ConnectionStream(int fd, int read_ms, int write_ms, size_t max_head)
      : fd_(fd), read_ms_(read_ms), write_ms_(write_ms), head_(max_head) {}

  bool refused() const { return refused_; }

  bool is_readable() const override { return PollFor(fd_, POLLIN, read_ms_) > 0; }
  bool is_writable() const override { return PollFor(fd_, POLLOUT, write_ms_) > 0; }

  ssize_t read(char* ptr, size_t size) override {
    if (refused_) return 0;
    const ssize_t n = ReadSome(ptr, size);
    if (n > 0 && head_.state() == RequestHeadLimit::State::kInHead &&
        head_.Feed(ptr, static_cast<size_t>(n)) == RequestHeadLimit::State::kTooLarge) {
      RefuseHead();
      return 0;
    }
    return n;
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (refused_) return static_cast<ssize_t>(size);  // the 431 is already out
    return Send(ptr, size);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override { IpAndPort(fd_, true, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { IpAndPort(fd_, false, ip, port); }
  socket_t socket() const override { return fd_; }

 private:
  void RefuseHead() {
    refused_ = true;
    ApiError e;
    e.http_status = 431;
    e.code = "request_header_too_large";
    e.message = head_.line_too_long()
                    ? "A line of the request head is longer than " + std::to_string(kMaxHeadLineBytes) + " bytes"
                    : "The request head (request line and headers) is larger than the server's limit of " +
                          std::to_string(head_.max_head_bytes()) + " bytes (serve --max-header)";
    const std::string r = RawErrorResponse(431, "Request Header Fields Too Large", e, false);
    (void)Send(r.data(), r.size());
  }

  ssize_t ReadSome(char* ptr, size_t size) {
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

  ssize_t Send(const char* ptr, size_t size) {
    if (!is_writable()) return -1;
    for (;;) {
      const ssize_t n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
      if (n >= 0 || errno != EINTR) return n;
    }
  }

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
  RequestHeadLimit head_;
  bool refused_ = false;
};

// Closes after a refusal without a reset: the client may still be sending
// the head, and closing with unread bytes would reset the connection,
// possibly before the client has read the answer.
void LingeringClose(int fd) {
  ::shutdown(fd, SHUT_WR);
  std::array<char, 4096> buf{};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
  for (size_t total = 0; total < (size_t{1} << 20) && std::chrono::steady_clock::now() < deadline;) {
    if (PollFor(fd, POLLIN, 50) <= 0) continue;
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n <= 0) break;
    total += static_cast<size_t>(n);
  }
}

}  // namespace

HttpServer::HttpServer(HttpLimits limits) : limits_(limits) {
  ApiError e;
  e.http_status = 503;
  e.type = "server_error";
  e.code = "too_many_connections";
  e.message = "The server has " + std::to_string(limits_.max_connections) +
              " connections open, its limit (serve --max-connections); retry later";
  refuser_ = std::make_unique<ConnectionRefuser>(RawErrorResponse(503, "Service Unavailable", e, true));
  new_task_queue = [this] {
    return new LimitedTaskQueue(limits_.threads, limits_.max_connections, open_, refused_);
  };
}

HttpServer::~HttpServer() = default;

bool HttpServer::process_and_close_socket(socket_t sock) {
  // As cpp-httplib's own loop (process_server_socket), except that an idle
  // keep-alive connection notices a stopping server within 50 ms.
  if (tls_refusing) {
    refuser_->Refuse(static_cast<int>(sock));
    return false;
  }
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
    ConnectionStream strm(sock, read_ms, write_ms, limits_.max_head_bytes);
    bool connection_closed = false;
    ok = process_request(strm, left == 1, connection_closed, nullptr);
    if (strm.refused()) {
      refused_heads_.fetch_add(1, std::memory_order_relaxed);
      LingeringClose(sock);
      ok = false;
      break;
    }
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
