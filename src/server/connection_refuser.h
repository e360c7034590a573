// Answers connections the server will not serve (over the open-connection
// limit) with a fixed HTTP response, on a thread of its own so the listener
// never waits on a client. Each socket gets a lingering close: read what the
// client sent (up to a short wait), write the response, shut the write side,
// read until the client closes or a deadline passes, then close. Closing with
// unread request bytes would make the kernel send a reset, which can destroy
// the response before the client reads it.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace cacheopt {

class ConnectionRefuser {
 public:
  // `response`: the whole HTTP response, status line to body.
  // `max_pending`: sockets being refused at once; beyond, a new one is
  // closed without an answer.
  explicit ConnectionRefuser(std::string response, size_t max_pending = 1024);
  ~ConnectionRefuser();
  ConnectionRefuser(const ConnectionRefuser&) = delete;
  ConnectionRefuser& operator=(const ConnectionRefuser&) = delete;

  // Takes ownership of `fd`; never blocks.
  void Refuse(int fd);

  // Sockets answered, and those closed unanswered because too many waited.
  int64_t answered() const;
  int64_t dropped() const;

 private:
  void Loop();

  const std::string response_;
  const size_t max_pending_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<int> incoming_;
  size_t in_progress_ = 0;
  bool stop_ = false;
  int64_t answered_ = 0, dropped_ = 0;
  std::thread thread_;
};

}  // namespace cacheopt
