// One engine session: owns requests from submission to finish over one
// scheduler and one executor. Each step runs Schedule -> Execute -> Update
// at a time the caller passes in (the simulator's virtual clock, the server's
// wall clock) and emits events: the tokens sampled and each finish with its
// reason and its SLO verdict already judged; each step's report carries its
// preemptions and swap copies (the plan). Run() is the
// one loop every offline driver shares (simulator, soak, tests, a real
// engine run to completion).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "cacheopt/events.h"
#include "cacheopt/executor.h"
#include "cacheopt/scheduler_config.h"
#include "cacheopt/scheduler_state.h"
#include "cacheopt/status.h"

namespace cacheopt {


struct SessionOptions {
  bool check_invariants = false;  // after every step (tests, --check-invariants)
  double stall_limit_s = 1.0;     // SummaryOptions::stall_limit_s, for the verdicts
};

// Run()'s view for its caller: called after every step.
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  // A non-ok status stops the run and is returned by it.
  virtual Status OnStep(const StepReport& step, StepEvents& events) = 0;
};

struct RunOptions {
  static RunOptions Bounded(int64_t max_steps) {
    RunOptions o;
    o.max_steps = max_steps;
    return o;
  }
  // Steps (run or not) after which an unfinished run is an error; <= 0: no limit.
  int64_t max_steps = 0;
  // Time source. Unset: virtual time, which moves to each step's end and
  // jumps over idle periods to the next arrival. Set (a wall clock): each
  // step runs at its reading.
  std::function<double()> clock;
  bool tokens = false;  // emit token events (the simulator reads none)
};

class Session {
 public:
  Session(Scheduler* scheduler, Executor* executor, SessionOptions opts = {});

  // Queues a request with its SLO targets already set (AssignSlo). The id
  // must be unique.
  Request* Submit(const RequestSpec& spec);
  // Cancels a live request (its KV freed on both tiers); its finish event is
  // queued. False when it is not live.
  bool Abort(int64_t id, double now);
  // One step starting at `now`. Nothing runs (and no time passes) when the
  // scheduler has nothing to run; rejections may still happen.
  Status Step(double now, StepReport* report);

  // Events since the last call, in order.
  std::vector<TokenEvent> TakeTokens() { return std::move(tokens_); }
  std::vector<FinishEvent> TakeFinished() { return std::move(finished_); }

  // Submits `arrivals` (sorted by arrival, ties in order) as their time
  // comes and steps until every request has ended. An error if a step fails,
  // the observer says stop, the step limit is hit, or the policy stops
  // making progress with nothing left to arrive.
  Status Run(std::span<const RequestSpec> arrivals, RunObserver* observer, const RunOptions& opts = {});

  bool HasUnfinished() const;
  int64_t steps() const { return steps_; }  // Step calls, run or not
  int64_t submitted() const { return submitted_; }
  // Where Run's virtual clock stands: the last step's end, or the last idle
  // jump to an arrival.
  double now() const { return now_; }
  // The scheduler as a front end may read it: queues, KV tiers, counters.
  SchedulerState state() const;
  KvTiers kv() const;  // cheap: the KV part of state()
  const SchedulerConfig& config() const;
  // Every token gap (seconds) recorded since the last call, in emission order.
  std::vector<float> TakeGapLog();
  // Queues, tables and blocks agree (the check `check_invariants` runs).
  Status CheckInvariants() const;
  // White-box access for tests and the soak (core/sched/scheduler.h).
  Scheduler& scheduler() { return *scheduler_; }
  const Scheduler& scheduler() const { return *scheduler_; }

 private:
  void CollectFinished();
  Status NoProgress() const;

  Scheduler* scheduler_;
  Executor* executor_;
  SessionOptions opts_;
  ExecutorOutput result_;
  std::vector<TokenEvent> tokens_;
  std::vector<FinishEvent> finished_;
  bool keep_events_ = true;
  int64_t steps_ = 0;
  int64_t submitted_ = 0;
  double now_ = 0;
};

}  // namespace cacheopt
