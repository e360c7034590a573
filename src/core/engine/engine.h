// The loop both front ends drive: schedule, execute, update. Time is passed in
// (the simulator's virtual clock, or the server's wall clock).
#pragma once

#include "cacheopt/status.h"
#include "core/engine/executor.h"
#include "core/sched/scheduler.h"

namespace cacheopt {

struct EngineOptions {
  // Check block and queue invariants after every step (tests, debug runs).
  bool check_invariants = false;
};

class Engine {
 public:
  Engine(Scheduler* scheduler, Executor* executor, EngineOptions opts = {})
      : scheduler_(scheduler), executor_(executor), opts_(opts) {}

  // Runs one step starting at `now`. Sets `*ran` to false when the scheduler
  // had nothing to run (then no time passes). `*end_s` is the step's end.
  Status Step(double now, bool* ran, double* end_s);

  const SchedulerOutput& last_step() const { return *last_; }
  const ExecutorOutput& last_result() const { return result_; }
  Scheduler& scheduler() { return *scheduler_; }

 private:
  Scheduler* scheduler_;
  Executor* executor_;
  EngineOptions opts_;
  const SchedulerOutput* last_ = nullptr;
  ExecutorOutput result_;
};

}  // namespace cacheopt
