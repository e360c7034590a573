// The transport: cpp-httplib's server with one addition, the socket of the
// connection a handler is answering, so a handler that waits (a queued or
// non-streaming request) can see its client leave without writing to it.
//
// cpp-httplib 0.11.4 (Debian 12) runs each connection on one pool thread, from
// accept to close, through the virtual process_and_close_socket. The
// override runs the same keep-alive loop around the library's
// process_request (reading and writing through a stream of its own, since the
// library's socket stream is not exported), notes the socket in a
// thread-local for the handlers that run inside it, and ends an idle
// keep-alive connection within 50 ms of stop() instead of at its timeout.
#pragma once

#include <httplib.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "server/connection_refuser.h"
#include "server/request_head_limit.h"

namespace cacheopt {

struct HttpLimits {
  // The connection thread pool (one thread per open connection; more
  // connections wait for a thread).
  size_t threads = 8;
  // Open connections, served or waiting for a thread; beyond, a new one is
  // answered 503 and closed (cpp-httplib itself queues without bound).
  size_t max_connections = 1024;
  // A request's head (request line and headers); larger: 431.
  size_t max_head_bytes = kDefaultMaxHeadBytes;
};

class HttpServer : public httplib::Server {
 public:
  explicit HttpServer(HttpLimits limits);
  ~HttpServer() override;

  const HttpLimits& limits() const { return limits_; }
  // Connections open now (served or waiting for a thread).
  int64_t open_connections() const { return open_->load(std::memory_order_relaxed); }
  // Connections refused for the limit, and requests refused for their head.
  int64_t refused_connections() const { return refused_->load(std::memory_order_relaxed); }
  int64_t refused_heads() const { return refused_heads_.load(std::memory_order_relaxed); }

  // The listening socket's accept queue, after bind. cpp-httplib listens
  // with a backlog of 5: a burst of new connections beyond that overflows
  // it, and the kernel then drops handshakes (a second's delay) or answers
  // with SYN cookies that can fail (the client sees a reset).
  bool SetListenBacklog(int backlog);

 private:
  bool process_and_close_socket(socket_t sock) override;

  HttpLimits limits_;
  // Shared with the task queue cpp-httplib owns (and deletes after listen).
  std::shared_ptr<std::atomic<int64_t>> open_ = std::make_shared<std::atomic<int64_t>>(0);
  std::shared_ptr<std::atomic<int64_t>> refused_ = std::make_shared<std::atomic<int64_t>>(0);
  std::atomic<int64_t> refused_heads_{0};
  std::unique_ptr<ConnectionRefuser> refuser_;
};

// The socket of the connection the calling thread is serving; -1 outside
// an HttpServer connection.
int CurrentConnectionSocket();

// True when the peer has closed (or reset) the connection: a FIN or an error
// is pending and no request bytes are. Never blocks. False for fd < 0.
bool PeerClosed(int fd);

}  // namespace cacheopt
