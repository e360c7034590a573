#include "sim/cluster/cluster.h"

#include <algorithm>
#include <deque>
#include <limits>
#include <queue>

#include "cacheopt/metrics/slo.h"
#include "cacheopt/kv_events.h"
#include "cacheopt/policy_registry.h"
#include "cacheopt/session.h"
#include "exec/sim/sim_executor.h"
#include "sim/cluster/router.h"
#include "sim/prefix_hashes.h"

namespace cacheopt {
namespace {

constexpr double kNever = std::numeric_limits<double>::infinity();

struct Replica {
  SchedulerPtr scheduler;
  std::unique_ptr<SimExecutor> exec;
  std::unique_ptr<Session> session;
  std::vector<RequestSpec> pending;  // routed here, not yet submitted
  double now = 0;
  bool waiting_for_work = true;  // nothing it can step until a request arrives
  int idle_steps = 0;            // Session::Run's count of steps that ran nothing
  KvEventLog kv_log;  // of the step running now (recorded when the router subscribes)
  // Its gauges after each step, from the step's end; the front one is the
  // latest at or before the last scrape.
  std::deque<std::pair<double, ScrapedMetrics>> published = {std::make_pair(0.0, ScrapedMetrics{})};
  double block_seconds = 0;
  ReplicaResult stats;
};

// What reaches the router after a step: a response's end or a KV event.
struct RouterEvent {
  double t = 0;
  int64_t seq = 0;  // order of emission, for ties
  int replica = 0;
  bool done = false;  // else kv
  int64_t request_id = 0;
  KvCacheEvent kv;
  bool operator>(const RouterEvent& o) const { return t != o.t ? t > o.t : seq > o.seq; }
};

ScrapedMetrics MetricsAt(Replica& r, double t) {
  while (r.published.size() >= 2 && r.published[1].first <= t) r.published.pop_front();
  return r.published.front().second;
}

}  // namespace

Result<SimulationResult> SimulateCluster(const Workload& workload, const CostModel& cost,
                                         const SimulationOptions& opts) {
  const ClusterOptions& c = opts.cluster;
  auto made_router = MakeRouter(c.router, c.replicas, c.seed);
  if (!made_router.ok()) return made_router.status();
  Router& router = **made_router;
  if (opts.steps_log != nullptr) return Status::InvalidArgument("--steps-log is for one engine, not a cluster");
  if (workload.requests.empty()) return Status::InvalidArgument("the workload has no requests");

  SchedulerConfig config = opts.sched;
  if (!config.truth) {
    config.truth = [&workload](int64_t id) -> int32_t {
      return id >= 0 && static_cast<size_t>(id) < workload.requests.size() ? workload.requests[id].output_tokens : 0;
    };
  }
  std::vector<std::unique_ptr<Replica>> reps;
  for (int i = 0; i < c.replicas; ++i) {
    auto rep = std::make_unique<Replica>();
    auto made = MakeScheduler(opts.policy, config, opts.policy_cost != nullptr ? opts.policy_cost : &cost);
    if (!made.ok()) return made.status();
    rep->scheduler = std::move(*made);
    if (router.wants_kv_events()) RecordKvEvents(*rep->scheduler, &rep->kv_log);
    rep->exec = std::make_unique<SimExecutor>(&cost, opts.sched.block_size);
    rep->session = std::make_unique<Session>(
        rep->scheduler.get(), rep->exec.get(),
        SessionOptions{.check_invariants = opts.check_invariants, .stall_limit_s = opts.summary.stall_limit_s});
    reps.push_back(std::move(rep));
  }
  const SchedulerConfig& engine = reps[0]->session->config();

  // Requests as the engines take them, and each prompt's block hashes as the
  // router computes them from the prompt (shared with the engine when it caches).
  const auto& reqs = workload.requests;
  std::vector<RequestSpec> arrivals;
  std::vector<std::shared_ptr<const std::vector<BlockHash>>> prompt_hashes(reqs.size());
  // The blocks each output fills (from block .first on), for the replica's
  // executor to report as it samples them (as Simulate does).
  std::vector<std::pair<int32_t, std::vector<BlockHash>>> output_hashes(reqs.size());
  arrivals.reserve(reqs.size());
  for (size_t i = 0; i < reqs.size(); ++i) {
    const WorkloadRequest& w = reqs[i];
    RequestSpec spec;
    spec.id = w.id;
    spec.arrival_s = w.arrival_s;
    spec.prompt_tokens = w.prompt_tokens;
    spec.max_tokens = w.max_tokens;
    spec.slo_class = static_cast<SloClass>(w.slo_class);
    if (w.prefix_ids != nullptr) {
      const int32_t bs = engine.block_size;
      auto hashes = SequenceBlockHashes(*w.prefix_ids, w.prefix_covers_output, w.prompt_tokens, w.output_tokens, bs,
                                        w.prefix_unit, w.id);
      if (!hashes.ok()) return hashes.status();
      const size_t prompt_blocks = std::min(hashes->size(), static_cast<size_t>(w.prompt_tokens / bs));
      output_hashes[i] = {static_cast<int32_t>(prompt_blocks),
                          std::vector<BlockHash>(hashes->begin() + prompt_blocks, hashes->end())};
      hashes->resize(prompt_blocks);
      prompt_hashes[i] = std::make_shared<const std::vector<BlockHash>>(std::move(*hashes));
      if (engine.prefix_caching) spec.block_hashes = prompt_hashes[i];
    }
    AssignSlo(&spec, opts.slo_cost != nullptr ? *opts.slo_cost : cost, opts.slo);
    arrivals.push_back(spec);
  }

  // The router's view, brought up to time t: events in order, and a scrape
  // of every replica at each multiple of its interval (events at a scrape's
  // instant first).
  std::priority_queue<RouterEvent, std::vector<RouterEvent>, std::greater<>> events;
  int64_t event_seq = 0;
  const double interval = router.scrape_interval_s();
  int64_t scrapes = 0;
  auto bring_router_to = [&](double t) {
    while (true) {
      const double next_scrape = interval > 0 ? static_cast<double>(scrapes) * interval : kNever;
      const double next_event = events.empty() ? kNever : events.top().t;
      if (std::min(next_scrape, next_event) > t) return;
      if (next_event <= next_scrape) {
        const RouterEvent e = events.top();
        events.pop();
        if (e.done) router.OnResponseDone(e.replica, e.request_id);
        else router.OnKvEvent(e.replica, e.kv);
      } else {
        for (int i = 0; i < c.replicas; ++i) router.OnScrape(i, MetricsAt(*reps[i], next_scrape));
        ++scrapes;
      }
    }
  };

  std::vector<std::unique_ptr<Request>> done;
  done.reserve(reqs.size());
  size_t next = 0;
  StepReport step;
  while (true) {
    int ready = -1;  // the replica to step next: earliest, lowest index on ties
    for (int i = 0; i < c.replicas; ++i)
      if (!reps[i]->waiting_for_work && (ready < 0 || reps[i]->now < reps[ready]->now)) ready = i;
    const double t_step = ready < 0 ? kNever : reps[ready]->now;
    const double t_arrive = next < arrivals.size() ? arrivals[next].arrival_s : kNever;
    if (ready < 0 && next >= arrivals.size()) break;

    if (t_arrive <= t_step) {
      // Arrivals up to a step's start join before it (Session::Run's order).
      bring_router_to(t_arrive);
      const RequestSpec& spec = arrivals[next];
      const auto& hashes = prompt_hashes[next];
      RouteRequest rq{spec.id, spec.prompt_tokens,
                      hashes ? std::span<const BlockHash>(*hashes) : std::span<const BlockHash>()};
      const int to = router.Pick(rq);
      if (to < 0 || to >= c.replicas)
        return Status::OutOfRange("router " + c.router + " picked replica " + std::to_string(to));
      Replica& r = *reps[to];
      r.exec->SetTrueLength(spec.id, reqs[next].output_tokens);
      if (engine.prefix_caching && spec.block_hashes != nullptr)
        r.exec->SetOutputBlockHashes(spec.id, output_hashes[next].first, std::move(output_hashes[next].second));
      r.pending.push_back(spec);
      ++r.stats.routed;
      if (r.waiting_for_work) {
        r.waiting_for_work = false;
        r.now = std::max(r.now, t_arrive);
      }
      ++next;
      continue;
    }

    Replica& r = *reps[ready];
    Session& s = *r.session;
    for (const RequestSpec& p : r.pending) s.Submit(p);
    r.pending.clear();
    if (!s.HasUnfinished()) {
      r.waiting_for_work = true;
      continue;
    }
    const double now = r.now;
    Status st = s.Step(now, &step);
    if (!st.ok()) return st;
    s.TakeTokens();  // the simulator reads none
    std::vector<FinishEvent> finished = s.TakeFinished();
    const double took = step.end_s - step.start_s;
    const KvTiers kv = s.kv();
    int64_t step_blocks = kv.device_used();
    for (FinishEvent& f : finished) {
      const Request& q = *f.record;
      if (q.num_computed > 0) step_blocks += (q.num_computed + engine.block_size - 1) / engine.block_size;
      if (f.reason != FinishReason::kRejected) ++r.stats.finished;
      events.push({step.end_s, event_seq++, ready, true, q.spec.id, {}});
      done.push_back(std::move(f.record));
    }
    for (const KvEvent& e : r.kv_log.Take()) {
      auto push = [&](KvCacheEvent::Kind kind, BlockHash h) {
        events.push({step.end_s, event_seq++, ready, false, 0, {kind, h}});
      };
      switch (e.kind) {
        case KvEventKind::kBlockStored:
          for (BlockHash h : e.block_hashes) push(KvCacheEvent::Kind::kBlockStored, h);
          break;
        case KvEventKind::kBlockRemoved:
          for (BlockHash h : e.block_hashes) push(KvCacheEvent::Kind::kBlockRemoved, h);
          break;
        case KvEventKind::kAllBlocksCleared:
          push(KvCacheEvent::Kind::kAllCleared, kNoParent);
          break;
      }
    }
    if (interval > 0) {  // only a router that scrapes reads them
      const SchedulerState state = s.state();
      r.published.emplace_back(step.end_s, ScrapedMetrics{state.waiting, state.running,
                                                          static_cast<double>(kv.device_used()) /
                                                              std::max(1, kv.device_total)});
    }
    if (step.ran) {
      ++r.stats.steps;
      r.block_seconds += static_cast<double>(step_blocks) * took;
    }
    const bool changed = step.Changed() || !finished.empty();
    r.idle_steps = step.ran ? 0 : r.idle_steps + 1;
    if (step.ran) {
      r.now = step.end_s;
    } else if (!changed || r.idle_steps > 1000) {
      // Nothing can run here until another request arrives.
      r.waiting_for_work = true;
    }
  }
  for (int i = 0; i < c.replicas; ++i) {
    const Session& s = *reps[i]->session;
    if (s.HasUnfinished()) {
      const SchedulerState st = s.state();
      return Status::OutOfRange("policy " + opts.policy + " on replica " + std::to_string(i) +
                                " made no progress with " + std::to_string(st.waiting) + " waiting, " +
                                std::to_string(st.running) + " running, " + std::to_string(st.swapped) +
                                " swapped requests, " + std::to_string(st.kv.device_free) + " device blocks free");
    }
  }

  SimulationResult result;
  std::vector<float> gaps;
  double block_seconds = 0;
  for (auto& rp : reps) {
    Replica& r = *rp;
    std::vector<float> g = r.session->TakeGapLog();
    gaps.insert(gaps.end(), g.begin(), g.end());
    const SchedulerState end = r.session->state();
    const SchedulerCounters& k = end.counters;
    SchedulerCounters& t = result.counters;
    t.preemptions_recompute += k.preemptions_recompute;
    t.preemptions_swap += k.preemptions_swap;
    t.recomputed_tokens += k.recomputed_tokens;
    t.swapped_out_blocks += k.swapped_out_blocks;
    t.swapped_in_blocks += k.swapped_in_blocks;
    t.rejected += k.rejected;
    t.peak_device_used = std::max(t.peak_device_used, k.peak_device_used);
    t.prefix_query_tokens += k.prefix_query_tokens;
    t.prefix_hit_tokens += k.prefix_hit_tokens;
    t.prefix_query_blocks += k.prefix_query_blocks;
    t.prefix_hit_blocks += k.prefix_hit_blocks;
    r.stats.peak_kv_use = static_cast<double>(k.peak_device_used) / std::max(1, end.kv.device_total);
    r.stats.prefix_query_tokens = k.prefix_query_tokens;
    r.stats.prefix_hit_tokens = k.prefix_hit_tokens;
    result.steps += r.stats.steps;
    result.simulated_s = std::max(result.simulated_s, r.now);  // its last step's end
    result.peak_kv_use = std::max(result.peak_kv_use, r.stats.peak_kv_use);
    result.cached_blocks_at_end += end.cached_blocks;
    result.evictions += end.evictions;
    block_seconds += r.block_seconds;
    result.replicas.push_back(r.stats);
  }
  result.summary = Summarize(done, gaps, opts.summary);
  result.summary.requests_dropped = workload.dropped_over_context;
  result.summary.swapped_bytes = result.summary.swapped_blocks * opts.sched.block_size * cost.KvBytesPerToken();
  result.mean_device_blocks = result.simulated_s > 0 ? block_seconds / result.simulated_s : 0;
  result.prefix_caching = engine.prefix_caching;
  result.router_predicted_hit_blocks = router.predicted_hit_blocks();
  return result;
}

}  // namespace cacheopt
