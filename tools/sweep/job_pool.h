// A small job queue on a fixed number of worker threads. A job may wait for
// earlier jobs (its dependencies); among the jobs that are ready, the lowest
// index starts first; an exclusive job runs with no other job beside it (for
// wall-time measurements). Jobs write their results into slots the caller
// owns, by index, so output order never depends on thread timing.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "sweep/progress.h"

namespace cacheopt::experiment {

class JobPool {
 public:
  // `deps` must all be lower than the new job's index (no cycles). `kind`
  // (0, 1, ...) groups jobs of one cost model and `weight` is the job's
  // expected cost within it, for the eta.
  size_t Add(std::string label, int kind, double weight, std::vector<size_t> deps, std::function<void()> fn,
             bool exclusive = false);
  size_t size() const { return jobs_.size(); }
  // Summed weights per kind.
  std::vector<double> total_weights() const;
  // Runs every job once; returns when all have finished. A job must not throw.
  void Run(int threads, ProgressLine* progress);

 private:
  struct Job {
    std::string label;
    int kind = 0;
    double weight = 1;
    std::vector<size_t> deps;
    std::function<void()> fn;
    bool exclusive = false;
  };
  std::vector<Job> jobs_;
};

}  // namespace cacheopt::experiment
