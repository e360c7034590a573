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

#include <cstddef>

namespace cacheopt {

class HttpServer : public httplib::Server {
 public:
  // `threads`: the connection thread pool (one thread per open connection;
  // more connections wait for a thread).
  explicit HttpServer(size_t threads);

  // The listening socket's accept queue, after bind. cpp-httplib listens
  // with a backlog of 5: a burst of new connections beyond that overflows
  // it, and the kernel then drops handshakes (a second's delay) or answers
  // with SYN cookies that can fail (the client sees a reset).
  bool SetListenBacklog(int backlog);

 private:
  bool process_and_close_socket(socket_t sock) override;
};

// The socket of the connection the calling thread is serving; -1 outside
// an HttpServer connection.
int CurrentConnectionSocket();

// True when the peer has closed (or reset) the connection: a FIN or an error
// is pending and no request bytes are. Never blocks. False for fd < 0.
bool PeerClosed(int fd);

}  // namespace cacheopt
