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
#include <vector>

namespace cacheopt::experiment {

// "45s", "1m12s", "1h05m".
std::string FormatDuration(double seconds);

class ProgressLine {
 public:
  // `out` may be null (silent). Jobs come in kinds (e.g. capacity searches
  // and single runs); `total_weight[k]` sums the weights of kind k's jobs.
  // The eta assumes each kind's remaining weight costs what its finished
  // jobs cost per unit of weight (another kind's rate until one finishes),
  // spread over `threads` workers.
  ProgressLine(std::ostream* out, bool redraw, size_t total_jobs, std::vector<double> total_weight, int threads,
               double interval_s = 30);
  void Started(const std::string& label);
  void Finished(int kind, double weight, double job_seconds);
  // Prints the final state and ends the line.
  void Close();

 private:
  void PrintLocked(bool force);

  std::ostream* out_;
  bool redraw_;
  double EtaLocked() const;  // < 0: unknown

  size_t total_jobs_;
  std::vector<double> total_weight_, done_weight_, busy_s_;
  int threads_;
  double interval_s_;
  std::mutex mu_;
  size_t done_jobs_ = 0;
  std::string label_;
  size_t last_len_ = 0;
  std::chrono::steady_clock::time_point start_;
  double last_print_s_ = -1e9;
};

}  // namespace cacheopt::experiment
