// The single engine thread. It owns the RealEngine (model, scheduler,
// executor): nothing else touches scheduler state. Each iteration it
//   1. takes the hand-off queue's aborts (RealEngine::Abort: KV freed on both
//      tiers before the next step) and as many submits as its concurrency
//      limit allows (RealEngine::Submit; failures go to the request's sink);
//   2. runs one engine step;
//   3. updates ServingMetrics' gauges and counters from the engine's stats;
//   4. routes the step's events: TTFT / inter-token / E2E histograms and SLO
//      attainment into the metrics, text through each request's StopMatcher
//      into its sink (a stop string ends the request: its text stops there,
//      finish_reason "stop", and the engine aborts the rest at once), then
//      the finish with usage. Metrics come before the sink, so a client that
//      saw its answer end reads metrics that count it.
// With nothing to run it sleeps on the queue until a command arrives.
//
// A request's choices (n > 1, a prompt list) arrive as one queue group and
// enter the engine together (admission to the engine is atomic against
// max_concurrency). Where the policy caches prefixes, a choice that shares
// another's prompt is held back until that one's first token, so its prompt
// blocks come from the prefix cache rather than a second prefill. Inside the
// engine the choices of one prompt are one request group (RequestSpec::group),
// which the policies that group admit and preempt as one (docs/baselines.md);
// held-back choices join their first choice's group when they enter.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "runtime/real_engine.h"
#include "server/kv_event_publisher.h"
#include "server/request_queue.h"
#include "server/serving_metrics.h"
#include "server/stop_matcher.h"

namespace cacheopt {

struct EngineLoopOptions {
  // Requests in the engine at once (scheduler's waiting + running +
  // swapped); the rest wait in the RequestQueue.
  int32_t max_concurrency = 64;
  // Each step's prefix-cache block events go here (the engine records them:
  // RealEngineOptions::kv_events); null: none are published.
  KvEventPublisher* kv_events = nullptr;
};

class EngineLoop {
 public:
  // `engine`, `queue` and `metrics` outlive the loop.
  EngineLoop(RealEngine* engine, RequestQueue* queue, ServingMetrics* metrics, EngineLoopOptions opts);
  ~EngineLoop();
  EngineLoop(const EngineLoop&) = delete;
  EngineLoop& operator=(const EngineLoop&) = delete;

  void Start();
  // Aborts every request, queued or in the engine, on the engine thread;
  // each sink ends ("abort", or 503 for a request that never reached the
  // engine). Returns at once.
  void AbortAll();
  // AbortAll, then waits for the thread to finish.
  void Stop();

  // Requests in the engine now (any thread).
  int64_t live() const { return live_count_.load(std::memory_order_relaxed); }
  // False once the engine reported an error (an invariant broke).
  bool healthy() const { return healthy_.load(std::memory_order_relaxed); }
  // The engine thread runs and is healthy (false before Start, after Stop).
  bool alive() const { return running_.load(std::memory_order_acquire) && healthy(); }
  int64_t iterations() const { return iterations_.load(std::memory_order_relaxed); }

 private:
  struct Live {
    std::shared_ptr<RequestSink> sink;
    StopMatcher stop;
    SloClass slo_class = SloClass::kMedium;
    double arrival_s = 0;  // engine clock
    double first_token_s = -1, last_token_s = -1;
    int32_t prompt_tokens = 0;
    int32_t completion_tokens = 0;
    bool ended = false;  // the sink has its end (a stop string); the engine's abort event is due
  };

  void Run();
  void TakeCommands();
  // `group`: RealEngine::Submit's.
  void Submit(SubmitCommand& c, int64_t group);
  void Route(const RequestEvent& ev, double now);
  // Submits the choices held back for `leader` (its prompt is computed).
  void ReleaseHeld(int64_t leader);
  void AbortEverything();
  void Publish();

  RealEngine* engine_;
  RequestQueue* queue_;
  ServingMetrics* metrics_;
  EngineLoopOptions opts_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> abort_all_{false};
  std::atomic<bool> healthy_{true};
  std::atomic<bool> running_{false};
  std::atomic<int64_t> live_count_{0};
  std::atomic<int64_t> iterations_{0};
  // Engine thread only.
  std::unordered_map<int64_t, Live> live_;
  int64_t stop_aborts_ = 0;                            // this iteration's
  std::vector<SubmitCommand> submits_;                 // scratch
  std::vector<std::shared_ptr<RequestSink>> aborts_;  // scratch
  // Choices waiting for their prompt's first computation, by the engine id
  // of the choice computing it; they count against max_concurrency.
  std::unordered_map<int64_t, std::vector<SubmitCommand>> held_;
  int64_t held_count_ = 0;
  std::vector<int64_t> to_release_;  // leaders whose prompt is done (this iteration)
};

}  // namespace cacheopt
