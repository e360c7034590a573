// The benchmark's progress on stderr while it runs:
//   bench: 12/20 done (0 failed), 14 sent, 3 in flight, 6.3 s
// On a terminal it redraws in place (\r) at most 10 times a second;
// otherwise it prints a full line at most every `interval_s`, and always the
// last one. Thread-safe: every request thread reports its own end.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <ostream>

namespace cacheopt::bench {

class BenchProgress {
 public:
  // `out` may be null (silent).
  BenchProgress(std::ostream* out, bool redraw, int64_t total, double interval_s = 10);
  void Sent();
  void Done(bool success);
  // Prints the final state and ends the line. Idempotent.
  void Close();

 private:
  void PrintLocked(bool force);

  std::ostream* out_;
  bool redraw_;
  int64_t total_;
  double interval_s_;
  std::mutex mu_;
  int64_t sent_ = 0, done_ = 0, failed_ = 0;
  std::chrono::steady_clock::time_point start_;
  double last_print_s_ = -1e9;
  bool closed_ = false;
};

}  // namespace cacheopt::bench
