#include "cacheopt/session.h"

#include <algorithm>
#include <string>

#include "cacheopt/metrics/slo.h"
#include "core/sched/scheduler.h"

namespace cacheopt {

std::string_view ToString(FinishReason r) {
  switch (r) {
    case FinishReason::kStop:
      return "stop";
    case FinishReason::kLength:
      return "length";
    case FinishReason::kAbort:
      return "abort";
    case FinishReason::kRejected:
      return "rejected";
  }
  return "?";
}

Session::Session(Scheduler* scheduler, Executor* executor, SessionOptions opts)
    : scheduler_(scheduler), executor_(executor), opts_(opts) {
  scheduler_->set_plan_block_tables(executor_->ReadsKv());
}

bool Session::HasUnfinished() const { return scheduler_->HasUnfinished(); }
SchedulerState Session::state() const { return StateOf(*scheduler_); }
KvTiers Session::kv() const { return KvTiersOf(*scheduler_); }
const SchedulerConfig& Session::config() const { return scheduler_->config(); }
std::vector<float> Session::TakeGapLog() { return scheduler_->TakeGapLog(); }
Status Session::CheckInvariants() const { return scheduler_->CheckInvariants(); }

Request* Session::Submit(const RequestSpec& spec) {
  ++submitted_;
  return scheduler_->Add(spec);
}

bool Session::Abort(int64_t id, double now) {
  if (!scheduler_->Abort(id, now)) return false;
  CollectFinished();
  return true;
}

Status Session::Step(double now, StepReport* report) {
  const SchedulerOutput& out = scheduler_->Schedule(now);
  result_.results.clear();
  report->index = steps_++;
  report->plan = &out;
  report->result = &result_;
  report->start_s = now;
  if (out.empty()) {
    // Nothing runs (rejections may still have happened); close the step.
    result_.duration_s = 0;
    scheduler_->Update(result_, now);
    report->ran = false;
    report->end_s = now;
  } else {
    executor_->Execute(out, &result_);
    report->end_s = now + result_.duration_s;
    scheduler_->Update(result_, report->end_s);
    report->ran = true;
  }
  if (keep_events_) {
    for (size_t i = 0; i < out.seqs.size(); ++i) {
      if (out.seqs[i].emits_token)
        tokens_.push_back({out.seqs[i].request_id, result_.results[i].token, result_.results[i].eos});
    }
  }
  CollectFinished();
  if (opts_.check_invariants) {
    Status s = scheduler_->CheckInvariants();
    if (!s.ok())
      return Status::OutOfRange("invariant broken after step " + std::to_string(out.step) + " (" +
                                std::string(scheduler_->name()) + "): " + s.message());
  }
  return Status::Ok();
}

void Session::CollectFinished() {
  for (auto& r : scheduler_->TakeDone()) {
    FinishEvent ev;
    switch (r->state) {
      case RequestState::kRejected:
        ev.reason = FinishReason::kRejected;
        break;
      case RequestState::kAborted:
        ev.reason = FinishReason::kAbort;
        break;
      default:
        // vLLM's order: a stop wins over the length cap reached with it.
        ev.reason = r->stopped ? FinishReason::kStop : FinishReason::kLength;
    }
    ev.slo = JudgeSlo(*r, opts_.stall_limit_s);
    ev.record = std::move(r);
    finished_.push_back(std::move(ev));
  }
}

Status Session::NoProgress() const {
  const Scheduler& s = *scheduler_;
  return Status::OutOfRange("policy " + std::string(s.name()) + " made no progress with " +
                            std::to_string(s.num_waiting()) + " waiting, " + std::to_string(s.num_running()) +
                            " running, " + std::to_string(s.num_swapped()) + " swapped requests, " +
                            std::to_string(s.blocks().device_free()) + " device blocks free");
}

Status Session::Run(std::span<const RequestSpec> arrivals, RunObserver* observer, const RunOptions& opts) {
  const bool wall = static_cast<bool>(opts.clock);
  const bool kept = keep_events_;
  keep_events_ = opts.tokens;
  struct Restore {
    bool* flag;
    bool value;
    ~Restore() { *flag = value; }
  } restore{&keep_events_, kept};

  double& now = now_;
  now = wall ? opts.clock() : 0;
  size_t next = 0;
  int idle_steps = 0;  // consecutive steps that ran nothing
  StepReport step;
  while (next < arrivals.size() || scheduler_->HasUnfinished()) {
    // Arrivals up to now join the queue in order.
    while (next < arrivals.size() && arrivals[next].arrival_s <= now) Submit(arrivals[next++]);
    if (!scheduler_->HasUnfinished()) {
      // Idle: jump to the next arrival (a wall clock moves by itself).
      now = wall ? opts.clock() : std::max(now, arrivals[next].arrival_s);
      continue;
    }
    if (opts.max_steps > 0 && steps_ >= opts.max_steps)
      return Status::OutOfRange("did not drain within " + std::to_string(opts.max_steps) + " steps");
    if (wall) now = opts.clock();
    Status s = Step(now, &step);
    if (!s.ok()) return s;
    StepEvents events{TakeTokens(), TakeFinished()};
    if (observer != nullptr) {
      s = observer->OnStep(step, events);
      if (!s.ok()) return s;
    }
    const bool changed = step.Changed() || !events.finished.empty();
    idle_steps = step.ran ? 0 : idle_steps + 1;
    if (step.ran) {
      now = step.end_s;
    } else if (wall) {
      // The clock moves on by itself; a policy that neither runs nor ends
      // anything for long, with nothing to arrive, is stuck (a bug).
      if (!changed && idle_steps > 1000 && next >= arrivals.size()) return NoProgress();
      if (changed) idle_steps = 0;
    } else if (!changed || idle_steps > 1000) {
      // Nothing can run until something arrives; with nothing left to arrive
      // the policy is stuck, which is a bug, not a result.
      if (next >= arrivals.size()) return NoProgress();
      now = std::max(now, arrivals[next].arrival_s);
    }
  }
  return Status::Ok();
}

}  // namespace cacheopt
