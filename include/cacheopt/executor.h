// Runs what the scheduler decided. The simulated executor returns durations
// from a cost model; the CPU executor runs a real forward pass. Only an
// executor knows when a sequence ends (it plays the model's EOS).
#pragma once

#include "cacheopt/scheduler_output.h"

namespace cacheopt {

class Executor {
 public:
  virtual ~Executor() = default;
  // Performs the swap copies, then the step; fills `out` (reused across steps).
  virtual void Execute(const SchedulerOutput& step, ExecutorOutput* out) = 0;
  // Whether it reads and writes real KV, so needs each step's block tables
  // (SchedulerOutput::block_ids).
  virtual bool ReadsKv() const { return false; }
};

}  // namespace cacheopt
