#include "server/engine_loop.h"

#include <algorithm>
#include <chrono>


namespace cacheopt {
namespace {

// How long an idle loop sleeps before looking again (a command wakes it at
// once; this only bounds how stale nothing can get).
constexpr std::chrono::microseconds kIdleWait{200000};
// When requests are live but the policy ran nothing this step (all blocked
// on memory that only a finishing request frees, which cannot happen
// without a step: rare), do not spin.
constexpr std::chrono::microseconds kStalledWait{1000};

}  // namespace

EngineLoop::EngineLoop(RealEngine* engine, RequestQueue* queue, ServingMetrics* metrics, EngineLoopOptions opts)
    : engine_(engine), queue_(queue), metrics_(metrics), opts_(opts) {
  opts_.max_concurrency = std::max(opts_.max_concurrency, 1);
}

EngineLoop::~EngineLoop() { Stop(); }

void EngineLoop::Start() {
  Publish();
  running_.store(true, std::memory_order_release);
  thread_ = std::thread([this] {
    Run();
    running_.store(false, std::memory_order_release);
  });
}

void EngineLoop::AbortAll() {
  abort_all_.store(true, std::memory_order_release);
  queue_->Wake();
}

void EngineLoop::Stop() {
  if (!thread_.joinable()) return;
  stop_.store(true, std::memory_order_release);
  AbortAll();
  thread_.join();
  // Anything pushed after the last look: no HTTP thread may wait forever.
  std::vector<SubmitCommand> queued;
  std::vector<std::shared_ptr<RequestSink>> aborts;
  queue_->Take(queue_->capacity() + 1, &queued, &aborts);
  for (SubmitCommand& c : queued) c.sink->Fail(Unavailable("The server is shutting down"));
}

void EngineLoop::Run() {
  for (;;) {
    TakeCommands();
    if (abort_all_.exchange(false, std::memory_order_acq_rel)) AbortEverything();
    bool ran = false;
    if (engine_->HasUnfinished()) ran = engine_->Step();
    if (ran) {
      const StepRecord& r = engine_->last_step();
      metrics_->OnEngineStep({r.wall_s, r.copy_s, r.prepare_s, r.forward_s, r.sample_s, r.schedule_s, r.loop_s});
    }
    const double now = engine_->Now();
    const std::vector<RequestEvent> events = engine_->TakeEvents();
    // One batch per step, as vLLM publishes after each schedule(); before
    // the clients hear of the step, so a client that saw its answer end can
    // already have the events its blocks made.
    if (opts_.kv_events != nullptr) {
      const std::vector<KvEvent> kv = engine_->TakeKvEvents();
      opts_.kv_events->Publish(kv, KvEventPublisher::WallTime());
    }
    // Gauges before the events reach the clients, so that a client that
    // saw its request end reads gauges that saw it too.
    Publish();
    stop_aborts_ = 0;
    for (const RequestEvent& ev : events) Route(ev, now);
    for (int64_t leader : to_release_) ReleaseHeld(leader);
    to_release_.clear();
    if (stop_aborts_ > 0) Publish();  // KV freed by stop strings
    if (!engine_->error().ok()) healthy_.store(false, std::memory_order_relaxed);
    iterations_.fetch_add(1, std::memory_order_relaxed);
    if (stop_.load(std::memory_order_acquire) && live_.empty() && !engine_->HasUnfinished()) break;
    const bool room = static_cast<int64_t>(live_.size()) + held_count_ < opts_.max_concurrency;
    if (!engine_->HasUnfinished()) {
      queue_->WaitForWork(kIdleWait, room);
    } else if (!ran && events.empty()) {
      queue_->WaitForWork(kStalledWait, room);
    }
  }
}

void EngineLoop::TakeCommands() {
  submits_.clear();
  aborts_.clear();
  const int64_t room =
      std::max<int64_t>(0, opts_.max_concurrency - static_cast<int64_t>(live_.size()) - held_count_);
  const bool stopping = stop_.load(std::memory_order_acquire);
  queue_->Take(stopping ? 0 : static_cast<size_t>(room), &submits_, &aborts_);
  for (const auto& sink : aborts_) {
    if (sink->engine_id < 0) {
      // (A submit the engine refused has ended already: counted as rejected.)
      if (sink->ended()) continue;
      // The client left while the request waited in the hand-off queue (it
      // never reached the engine): an abort all the same, as vLLM counts a
      // request aborted in its waiting queue.
      metrics_->OnAbortedWaiting();
      continue;
    }
    auto it = live_.find(sink->engine_id);
    if (it == live_.end() || it->second.ended) continue;
    (void)engine_->Abort(sink->engine_id);  // its abort event finishes it below
  }
  const bool share = engine_->prefix_caching();
  std::vector<int64_t> ids(submits_.size(), -1);  // engine ids of this take (Submit moves the sink)
  for (size_t i = 0; i < submits_.size(); ++i) {
    SubmitCommand& c = submits_[i];
    const int32_t back = c.shares_prompt_of;
    // The choices of one prompt form a request group named by the first.
    int64_t group = RequestSpec::kNoGroup;
    if (back > 0 && static_cast<size_t>(back) <= i) {
      const int64_t leader = ids[i - static_cast<size_t>(back)];
      if (leader >= 0) group = leader;
      if (share && leader >= 0 && live_.count(leader) != 0) {
        held_[leader].push_back(std::move(c));
        ++held_count_;
        continue;
      }
    } else if (back == 0 && i + 1 < submits_.size() && submits_[i + 1].shares_prompt_of == 1) {
      group = RealEngine::kLeadsGroup;
    }
    const std::shared_ptr<RequestSink> sink = c.sink;
    Submit(c, group);
    ids[i] = sink->engine_id;
  }
}

void EngineLoop::ReleaseHeld(int64_t leader) {
  auto it = held_.find(leader);
  if (it == held_.end()) return;
  std::vector<SubmitCommand> group = std::move(it->second);
  held_.erase(it);
  held_count_ -= static_cast<int64_t>(group.size());
  for (SubmitCommand& c : group) {
    if (c.sink->cancelled()) continue;  // its abort was counted when it came
    if (stop_.load(std::memory_order_acquire) || abort_all_.load(std::memory_order_acquire)) {
      c.sink->Fail(Unavailable("The server is shutting down"));
      continue;
    }
    Submit(c, leader);
  }
}

void EngineLoop::Submit(SubmitCommand& c, int64_t group) {
  // The request's arrival on the engine clock: time spent in the queue
  // counts toward its TTFT, for the scheduler as for the client.
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - c.arrival).count();
  const double arrival = std::max(0.0, engine_->Now() - std::max(0.0, waited));
  const int32_t prompt_tokens = static_cast<int32_t>(c.prompt.size());
  auto id = engine_->Submit(std::move(c.prompt), std::move(c.params), c.max_tokens, c.slo, arrival, group);
  if (!id.ok()) {
    c.sink->Fail(InvalidRequest("", id.status().message()));
    metrics_->OnRejected(RejectReason::kInvalidRequest);
    return;
  }
  c.sink->engine_id = *id;
  Live l;
  l.sink = std::move(c.sink);
  l.stop = StopMatcher(std::move(c.stop));
  l.slo_class = c.slo.slo_class;
  l.arrival_s = arrival;
  l.prompt_tokens = prompt_tokens;
  live_.emplace(*id, std::move(l));
  live_count_.store(static_cast<int64_t>(live_.size()), std::memory_order_relaxed);
}

void EngineLoop::Route(const RequestEvent& ev, double now) {
  auto it = live_.find(ev.id);
  if (it == live_.end()) return;
  Live& l = it->second;
  if (ev.first_scheduled_s >= 0) metrics_->OnScheduled(std::max(0.0, ev.first_scheduled_s - l.arrival_s));
  if ((!ev.tokens.empty() || ev.finished) && held_.count(ev.id) != 0) to_release_.push_back(ev.id);
  if (!ev.logprobs.empty() && !l.ended) l.sink->PushLogprobs(ev.logprobs, ev.piece_text);
  if (!ev.tokens.empty() && !l.ended) {
    for (size_t i = 0; i < ev.tokens.size(); ++i) {
      if (l.first_token_s < 0) {
        l.first_token_s = now;
        metrics_->OnFirstToken(now - l.arrival_s);
      } else {
        const double gap = i == 0 ? now - l.last_token_s : 0.0;
        metrics_->OnTokenGap(gap);
      }
      l.last_token_s = now;
    }
    l.completion_tokens += static_cast<int32_t>(ev.tokens.size());
    StopMatcher::Output out = l.stop.Push(ev.text);
    l.sink->Push(out.text);
    if (out.stopped) {
      // A stop string: the client's answer ends here (finish_reason "stop").
      l.ended = true;
      if (!ev.finished) {
        // The engine stops generating; its abort event closes the books now.
        (void)engine_->Abort(ev.id);
        ++stop_aborts_;
        const std::vector<RequestEvent> more = engine_->TakeEvents();
        for (const RequestEvent& e : more) Route(e, now);  // erases `l`
        return;
      }
    }
  }
  if (!ev.finished) return;

  // Metrics first, then the client's answer: whoever reads /metrics after
  // seeing the answer sees the request counted.
  const Usage usage{l.prompt_tokens, l.completion_tokens, ev.cached_tokens};
  if (ev.reason == FinishReason::kRejected && !l.ended) {
    metrics_->OnRejected(RejectReason::kKvCapacity);
    ApiError e = InvalidRequest("max_tokens",
                                "The request needs more KV cache than the server's device tier holds; "
                                "reduce 'max_tokens' or the prompt");
    e.code = "kv_capacity";
    l.sink->Fail(std::move(e));
  } else {
    const std::string_view reason = l.ended ? "stop" : ToString(ev.reason);
    FinishRecord r;
    r.finish_reason = reason;
    r.e2e_s = now - l.arrival_s;
    r.slo_class = l.slo_class;
    r.ttft_ok = ev.slo.ttft_met;
    r.tbt_ok = ev.slo.tbt_met;
    metrics_->OnFinish(r);
    if (!l.ended) l.sink->Push(l.stop.Flush());
    l.sink->Finish(reason, usage);
  }
  live_.erase(it);
  live_count_.store(static_cast<int64_t>(live_.size()), std::memory_order_relaxed);
}

void EngineLoop::AbortEverything() {
  for (auto& [id, l] : live_) {
    if (!l.ended) (void)engine_->Abort(id);
  }
  for (auto& [leader, group] : held_)
    for (SubmitCommand& c : group) c.sink->Fail(Unavailable("The server is shutting down"));
  held_.clear();
  held_count_ = 0;
  // Requests that never reached the engine.
  std::vector<SubmitCommand> queued;
  std::vector<std::shared_ptr<RequestSink>> aborts;
  queue_->Take(queue_->capacity() + 1, &queued, &aborts);
  for (SubmitCommand& c : queued) c.sink->Fail(Unavailable("The server is shutting down"));
}

void EngineLoop::Publish() {
  const RealEngineStats s = engine_->stats();
  EngineSnapshot snap;
  snap.running = static_cast<int64_t>(s.running);
  snap.waiting = static_cast<int64_t>(s.waiting + queue_->size());
  snap.swapped = static_cast<int64_t>(s.swapped);
  snap.kv_usage = s.kv_usage;
  snap.host_kv_usage = s.host_kv_usage;
  snap.lent_blocks = s.lent_blocks;
  snap.reserve_blocks_in_use = s.reserve_blocks_in_use;
  snap.prompt_tokens_total = s.prompt_tokens;
  snap.generation_tokens_total = s.generated_tokens;
  snap.preemptions_swap_total = s.preemptions_swap;
  snap.preemptions_recompute_total = s.preemptions_recompute;
  snap.swap_out_blocks_total = s.swap_out_blocks;
  snap.swap_in_blocks_total = s.swap_in_blocks;
  snap.recomputed_tokens_total = s.recomputed_tokens;
  snap.prefix_query_tokens_total = s.prefix_query_tokens;
  snap.prefix_hit_tokens_total = s.prefix_hit_tokens;
  snap.prefix_cache_blocks = s.cached_blocks;
  snap.prefix_cache_evictable_blocks = s.evictable_blocks;
  metrics_->OnStep(snap);
}

}  // namespace cacheopt
