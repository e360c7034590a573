#include "sim/simulator.h"

#include <algorithm>

#include "core/engine/engine.h"
#include "core/sched/policy_registry.h"
#include "exec/sim/sim_executor.h"
#include "sim/steps_log.h"

namespace cacheopt {

Result<SimulationResult> Simulate(const Workload& workload, const CostModel& cost,
                                  const SimulationOptions& opts) {
  if (workload.requests.empty()) return Status::InvalidArgument("the workload has no requests");
  // The oracle estimators of the sensitivity study read the trace's truth;
  // no other part of scheduling sees it (CACHEOPT.md).
  SchedulerConfig config = opts.sched;
  if (!config.truth) {
    config.truth = [&workload](int64_t id) -> int32_t {
      return id >= 0 && static_cast<size_t>(id) < workload.requests.size() ? workload.requests[id].output_tokens : 0;
    };
  }
  auto made = MakeScheduler(opts.policy, config, &cost);
  if (!made.ok()) return made.status();
  Scheduler& sched = **made;
  SimExecutor exec(&cost, opts.sched.block_size);
  EngineOptions eopts;
  eopts.check_invariants = opts.check_invariants;
  Engine engine(&sched, &exec, eopts);

  const auto& reqs = workload.requests;
  for (const WorkloadRequest& w : reqs) exec.SetTrueLength(w.id, w.output_tokens);

  SimulationResult result;
  std::vector<std::unique_ptr<Request>> done;
  done.reserve(reqs.size());
  double now = 0;
  size_t next = 0;
  int idle_steps = 0;  // consecutive steps that ran nothing
  double block_seconds = 0;  // device blocks in use x step time
  while (next < reqs.size() || sched.HasUnfinished()) {
    // Arrivals up to now join the queue in arrival order (ties by id).
    while (next < reqs.size() && reqs[next].arrival_s <= now) {
      const WorkloadRequest& w = reqs[next++];
      RequestSpec spec;
      spec.id = w.id;
      spec.arrival_s = w.arrival_s;
      spec.prompt_tokens = w.prompt_tokens;
      spec.max_tokens = w.max_tokens;
      spec.slo_class = static_cast<SloClass>(w.slo_class);
      AssignSlo(&spec, cost, opts.slo);
      sched.Add(spec);
    }
    if (!sched.HasUnfinished()) {
      now = std::max(now, reqs[next].arrival_s);  // idle: jump to the next arrival
      continue;
    }
    bool ran = false;
    double end = now;
    Status s = engine.Step(now, &ran, &end);
    if (!s.ok()) return s;
    if (opts.steps_log != nullptr && (ran || !engine.last_step().rejected.empty()))
      WriteStepLine(*opts.steps_log, engine.last_step(), end - now, sched.blocks().device_free(),
                    sched.blocks().host_free());
    // Blocks in use through this step: those still held, plus those of the
    // requests it finished (already freed).
    int64_t step_blocks = sched.blocks().device_total() - sched.blocks().device_free();
    for (auto& r : sched.TakeDone()) {
      if (r->num_computed > 0) step_blocks += (r->num_computed + opts.sched.block_size - 1) / opts.sched.block_size;
      done.push_back(std::move(r));
    }
    // A step that only preempted or rejected still changed the state.
    bool changed = !engine.last_step().rejected.empty() || !engine.last_step().preempted.empty();
    idle_steps = ran ? 0 : idle_steps + 1;
    if (ran) {
      ++result.steps;
      block_seconds += static_cast<double>(step_blocks) * (end - now);
      now = end;
    } else if (!changed || idle_steps > 1000) {
      // Nothing can run until something arrives; with nothing left to arrive
      // the policy is stuck, which is a bug, not a result.
      if (next >= reqs.size())
        return Status::OutOfRange("policy " + opts.policy + " made no progress with " +
                                  std::to_string(sched.num_waiting()) + " waiting, " +
                                  std::to_string(sched.num_running()) + " running, " +
                                  std::to_string(sched.num_swapped()) + " swapped requests");
      now = std::max(now, reqs[next].arrival_s);
    }
  }
  result.summary = Summarize(done, sched.TakeGapLog(), opts.summary);
  result.summary.requests_dropped = workload.dropped_over_context;
  result.summary.swapped_bytes =
      result.summary.swapped_blocks * opts.sched.block_size * cost.KvBytesPerToken();
  result.counters = sched.counters();
  result.simulated_s = now;
  result.mean_device_blocks = now > 0 ? block_seconds / now : 0;
  result.peak_kv_use = static_cast<double>(sched.counters().peak_device_used) /
                       std::max(1, sched.blocks().device_total());
  return result;
}

}  // namespace cacheopt
