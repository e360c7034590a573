// The progress line of a long run, on stderr:
//   [ 37/120] llama-2-7b/a100-40g/azure_conv/replay vllm 1.25x seed 2   elapsed 1m12s, eta 2m
// On a terminal it redraws in place (\r); otherwise it prints a full line at
// most every `interval_s` seconds, and always the last one.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <ostream>
#include <string>

namespace cacheopt::experiment {

// "45s", "1m12s", "1h05m".
std::string FormatDuration(double seconds);

class ProgressLine {
 public:
  // `out` may be null (silent). `total_weight` sums every job's weight; the
  // eta assumes the remaining weight runs at the rate seen so far.
  ProgressLine(std::ostream* out, bool redraw, size_t total_jobs, double total_weight, double interval_s = 30);
  void Started(const std::string& label);
  void Finished(double weight);
  // Prints the final state and ends the line.
  void Close();

 private:
  void PrintLocked(bool force);

  std::ostream* out_;
  bool redraw_;
  size_t total_jobs_;
  double total_weight_;
  double interval_s_;
  std::mutex mu_;
  size_t done_jobs_ = 0;
  double done_weight_ = 0;
  std::string label_;
  size_t last_len_ = 0;
  std::chrono::steady_clock::time_point start_;
  double last_print_s_ = -1e9;
};

}  // namespace cacheopt::experiment
