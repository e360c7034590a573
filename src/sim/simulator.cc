#include "sim/simulator.h"

#include <algorithm>

#include "cacheopt/policy_registry.h"
#include "cacheopt/session.h"
#include "exec/sim/sim_executor.h"
#include "sim/cluster/cluster.h"
#include "sim/prefix_hashes.h"
#include "sim/steps_log.h"

namespace cacheopt {

Result<SimulationResult> Simulate(const Workload& workload, const CostModel& cost,
                                  const SimulationOptions& opts) {
  if (!opts.cluster.router.empty()) return SimulateCluster(workload, cost, opts);
  if (workload.requests.empty()) return Status::InvalidArgument("the workload has no requests");
  // The oracle estimators of the sensitivity study read the trace's truth;
  // no other part of scheduling sees it (CACHEOPT.md).
  SchedulerConfig config = opts.sched;
  if (!config.truth) {
    config.truth = [&workload](int64_t id) -> int32_t {
      return id >= 0 && static_cast<size_t>(id) < workload.requests.size() ? workload.requests[id].output_tokens : 0;
    };
  }
  auto made = MakeScheduler(opts.policy, config, opts.policy_cost != nullptr ? opts.policy_cost : &cost);
  if (!made.ok()) return made.status();
  SimExecutor exec(&cost, opts.sched.block_size);
  Session session(made->get(), &exec,
                  {.check_invariants = opts.check_invariants, .stall_limit_s = opts.summary.stall_limit_s});

  const auto& reqs = workload.requests;
  std::vector<RequestSpec> arrivals;
  arrivals.reserve(reqs.size());
  for (const WorkloadRequest& w : reqs) {
    exec.SetTrueLength(w.id, w.output_tokens);
    RequestSpec spec;
    spec.id = w.id;
    spec.arrival_s = w.arrival_s;
    spec.prompt_tokens = w.prompt_tokens;
    spec.max_tokens = w.max_tokens;
    spec.slo_class = static_cast<SloClass>(w.slo_class);
    if (w.prefix_ids != nullptr && session.config().prefix_caching) {
      // The prompt's blocks go to the scheduler; those the output fills stay
      // with the executor, which reports each as its token is sampled.
      const int32_t bs = session.config().block_size;
      auto hashes = SequenceBlockHashes(*w.prefix_ids, w.prefix_covers_output, w.prompt_tokens, w.output_tokens, bs,
                                        w.prefix_unit, w.id);
      if (!hashes.ok()) return hashes.status();
      const size_t prompt_blocks = std::min(hashes->size(), static_cast<size_t>(w.prompt_tokens / bs));
      exec.SetOutputBlockHashes(w.id, static_cast<int32_t>(prompt_blocks),
                                std::vector<BlockHash>(hashes->begin() + prompt_blocks, hashes->end()));
      hashes->resize(prompt_blocks);
      spec.block_hashes = std::make_shared<const std::vector<BlockHash>>(std::move(*hashes));
    }
    AssignSlo(&spec, opts.slo_cost != nullptr ? *opts.slo_cost : cost, opts.slo);
    arrivals.push_back(spec);
  }

  // Per step: the steps log, and the device blocks in use through the step
  // (those still held, plus those of the requests it finished, already freed).
  struct Observer : RunObserver {
    const SimulationOptions& opts;
    const Session& session;
    SimulationResult& result;
    std::vector<std::unique_ptr<Request>> done;
    double block_seconds = 0;  // device blocks in use x step time
    Observer(const SimulationOptions& o, const Session& s, SimulationResult& r) : opts(o), session(s), result(r) {}
    Status OnStep(const StepReport& step, StepEvents& events) override {
      const double took = step.end_s - step.start_s;
      const KvTiers kv = session.kv();
      if (opts.steps_log != nullptr && (step.ran || !step.plan->rejected.empty()))
        WriteStepLine(*opts.steps_log, *step.plan, took, kv.device_free, kv.host_free);
      int64_t step_blocks = kv.device_used();
      for (FinishEvent& f : events.finished) {
        const Request& r = *f.record;
        if (r.num_computed > 0) step_blocks += (r.num_computed + opts.sched.block_size - 1) / opts.sched.block_size;
        done.push_back(std::move(f.record));
      }
      if (step.ran) {
        ++result.steps;
        block_seconds += static_cast<double>(step_blocks) * took;
      }
      return Status::Ok();
    }
  };
  SimulationResult result;
  Observer observer(opts, session, result);
  observer.done.reserve(reqs.size());
  Status run = session.Run(arrivals, &observer);
  if (!run.ok()) return run;
  const std::vector<std::unique_ptr<Request>>& done = observer.done;
  const double now = session.now();
  const double block_seconds = observer.block_seconds;
  result.summary = Summarize(done, session.TakeGapLog(), opts.summary);
  result.summary.requests_dropped = workload.dropped_over_context;
  result.summary.swapped_bytes =
      result.summary.swapped_blocks * opts.sched.block_size * cost.KvBytesPerToken();
  const SchedulerState end = session.state();
  result.counters = end.counters;
  result.simulated_s = now;
  result.mean_device_blocks = now > 0 ? block_seconds / now : 0;
  result.peak_kv_use = static_cast<double>(end.counters.peak_device_used) / std::max(1, end.kv.device_total);
  result.prefix_caching = session.config().prefix_caching;
  result.cached_blocks_at_end = end.cached_blocks;
  result.evictions = end.evictions;
  return result;
}

}  // namespace cacheopt
