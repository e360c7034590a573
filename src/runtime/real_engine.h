// The real engine: a model served on this machine's CPU by the same scheduler
// core the simulator drives. It owns the model, tokenizer, a CPU cost model
// (calibrated at construction, refined online by the executor), the executor,
// the policy and the Engine loop, and runs on the wall clock.
//
// Single-threaded by design: the server calls it from one engine thread;
// Submit, Abort and Step never overlap.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "cacheopt/cost/cpu_cost_model.h"
#include "cacheopt/kv_events.h"
#include "cacheopt/metrics/slo.h"
#include "cacheopt/scheduler_state.h"
#include "cacheopt/session.h"
#include "cacheopt/status.h"
#include "exec/cpu/calibrate.h"
#include "exec/cpu/cpu_executor.h"
#include "model/tokenizer.h"
#include "runtime/model_source.h"
#include "runtime/request_event.h"
#include "runtime/step_record.h"

namespace cacheopt {

struct RealEngineOptions {
  ModelSource model;
  std::string policy = "vllm";               // policy_registry.h name
  std::map<std::string, std::string> knobs;  // --set KEY=VALUE
  PreemptMode preemption_mode = PreemptMode::kRecompute;
  int32_t block_size = 16;
  // KV tiers: a block count, else bytes (divided by KvArena::BlockBytes),
  // else the default. Arenas are calloc'd: untouched blocks cost no memory.
  int32_t device_blocks = 0;
  int64_t device_bytes = 0;  // 0 with device_blocks 0: kDefaultDeviceBytes
  int32_t host_blocks = -1;  // < 0 with host_bytes 0: as many as the device
  int64_t host_bytes = 0;
  int32_t max_num_seqs = 0;  // 0: the policy's default
  int32_t token_budget = 0;  // 0: the policy's default
  int32_t threads = 0;       // 0: every hardware thread
  GemmMode gemm = GemmMode::kInvariant;
  // K/V storage (--kv-cache-dtype): fewer bytes per token, so more blocks
  // per byte budget and a cheaper copy in the cost model.
  KvDtype kv_dtype = KvDtype::kF32;
  CalibrateOptions calibrate;
  // Skip the start-up calibration (and the online refits) when the policy
  // reads no cost-model predictions (PolicyReadsCostModel): `generate` sets
  // it; a server keeps calibrating for its metrics and policy switches.
  bool calibrate_only_if_read = false;
  // Measured steps and copies (a `cacheopt profile` of this model and
  // machine: serve --cost-model) to seed the cost model with instead of the
  // short start-up calibration; online refinement goes on from them.
  // `seed_kv_bytes_per_token` must match the model (a profile of another
  // model is refused).
  std::vector<CalibrationStep> seed_steps;
  std::vector<CalibrationCopy> seed_copies;
  int64_t seed_kv_bytes_per_token = 0;
  std::string seed_source;  // for messages
  SloOptions slo;
  bool check_invariants = false;  // after every step (tests)
  // Record the prefix cache's block events (cacheopt/kv_events.h), token ids
  // filled in, for TakeKvEvents. Off: nothing is recorded.
  bool kv_events = false;
  // Called on the engine thread with every step that ran (a steps log).
  std::function<void(const StepRecord&)> step_observer;

  static constexpr int64_t kDefaultDeviceBytes = int64_t{1} << 30;
};

// A request's SLO: its class, or explicit targets (> 0 overrides the class's
// default; an explicit TBT without an explicit class also picks the nearest
// class, for C4; with one, the class stays, as the simulator keeps it).
struct SloSpec {
  SloClass slo_class = SloClass::kMedium;
  double ttft_ms = 0;
  double tbt_ms = 0;
  bool class_given = false;  // the client named slo_class
};

struct RealEngineStats {
  size_t running = 0, waiting = 0, swapped = 0;
  double kv_usage = 0;       // device blocks in use / total
  double host_kv_usage = 0;  // host blocks in use / total (0 without a host tier)
  int64_t preemptions_recompute = 0, preemptions_swap = 0;
  int64_t prefix_query_tokens = 0, prefix_hit_tokens = 0;  // SchedulerCounters
  int64_t steps = 0;          // steps that ran
  int64_t prompt_tokens = 0;  // of accepted requests
  int64_t generated_tokens = 0;
  int64_t recomputed_tokens = 0;
  int64_t swap_out_blocks = 0, swap_in_blocks = 0;
  int64_t lent_blocks = 0;             // SchedulerState::lent_blocks
  int64_t reserve_blocks_in_use = 0;   // SchedulerState::reserve_blocks_in_use
  int32_t device_blocks = 0, host_blocks = 0;  // tier sizes
  int32_t cached_blocks = 0, evictable_blocks = 0;  // prefix cache (SchedulerState)
};

class RealEngine {
 public:
  static Result<std::unique_ptr<RealEngine>> Create(const RealEngineOptions& opts);
  RealEngine(const RealEngine&) = delete;
  RealEngine& operator=(const RealEngine&) = delete;

  // Queues a request and returns its id. Errors: an empty prompt,
  // max_tokens < 1, prompt + max_tokens beyond the context, a token outside
  // the vocabulary, bad sampling parameters. `arrival_s` (engine clock) is
  // when the request arrived, if earlier than now (a server's queue); < 0:
  // now. The prompt's hashed n-grams go to the scheduler for the `text`
  // estimator (RequestSpec::prompt_features). `group`: the request group it
  // joins (RequestSpec::group: the choices of one prompt), named by the id
  // of its first member; kLeadsGroup: it is that first member;
  // RequestSpec::kNoGroup: none.
  static constexpr int64_t kLeadsGroup = -2;
  Result<int64_t> Submit(std::vector<int32_t> prompt, SamplingParams params, int32_t max_tokens, SloSpec slo = {},
                         double arrival_s = -1, int64_t group = RequestSpec::kNoGroup);
  // Cancels a live request: its KV is freed on both tiers and an "abort"
  // event is queued. NotFound when it is not live.
  Status Abort(int64_t id);
  // One engine step at the wall clock; false when nothing ran (rejections
  // may still have queued events).
  bool Step();
  // Events since the last call: at most one per request per step, in order.
  std::vector<RequestEvent> TakeEvents();
  // Prefix-cache block events since the last call (kv_events on), each
  // BlockStored with its token ids; empty otherwise.
  std::vector<KvEvent> TakeKvEvents() { return kv_log_.Take(); }
  // Empties the prefix cache when no request holds KV (vLLM's
  // reset_prefix_cache); false otherwise, or when the policy does not cache.
  bool ResetPrefixCache();
  // Steps until every request has ended, handing each event to `on_event`
  // as it comes; an error if the policy stops making progress.
  Status RunToCompletion(const std::function<void(const RequestEvent&)>& on_event);

  bool HasUnfinished() const { return session_->HasUnfinished(); }
  // Whether the policy caches prompt prefixes (blocks shared by content).
  bool prefix_caching() const { return session_->config().prefix_caching; }
  RealEngineStats stats() const;
  double Now() const;  // seconds on the engine clock (0 when serving began)

  const Model& model() const { return *model_; }
  const Tokenizer& tokenizer() const { return tokenizer_; }
  const CpuCostModel& cost_model() const { return *cost_; }
  const Session& session() const { return *session_; }
  const CpuExecutor& executor() const { return *executor_; }
  const CalibrationReport& calibration() const { return calibration_; }
  // The first invariant failure (check_invariants), else ok.
  const Status& error() const { return error_; }
  // The last step that ran (Step only), and a hook called with each one on
  // the engine thread (a steps log); null: none.
  const StepRecord& last_step() const { return last_step_; }
  void set_step_observer(std::function<void(const StepRecord&)> f) { step_observer_ = std::move(f); }

 private:
  struct Live {
    std::vector<int32_t> stop_ids;
    bool scheduled = false;  // some step has scheduled it
  };
  RealEngine(std::shared_ptr<const Model> model, const RealEngineOptions& opts);
  // Marks the requests `step` scheduled for the first time
  // (RequestEvent::first_scheduled_s).
  void NoteScheduled(const StepReport& step);
  // The session's events into RequestEvents (text decoded).
  void CollectTokens(const std::vector<TokenEvent>& tokens);
  void CollectDone(std::vector<FinishEvent> finished);
  RequestEvent& EventFor(int64_t id);
  // Fills the token ids of the block events the last step recorded, while
  // the executor still holds every request's tokens.
  void FillKvEventTokens();

  std::shared_ptr<const Model> model_;
  RealEngineOptions opts_;
  Tokenizer tokenizer_;
  std::unique_ptr<CpuCostModel> cost_;
  std::unique_ptr<CpuExecutor> executor_;
  SchedulerPtr scheduler_;
  std::unique_ptr<Session> session_;
  CalibrationReport calibration_;
  std::chrono::steady_clock::time_point start_;
  std::unordered_map<int64_t, Live> live_;
  std::vector<RequestEvent> events_;
  std::unordered_map<int64_t, size_t> event_index_;  // id -> position in events_
  int64_t next_id_ = 0;
  int64_t steps_ = 0, prompt_tokens_ = 0, generated_tokens_ = 0;
  Status error_;
  KvEventLog kv_log_;
  // Step recording: the executor's running split, and when the last step
  // ended if work was still pending then (the loop's time counts from there).
  void Record(const StepReport& step, double wall_s, const CpuExecutorProfile& before);
  CpuExecutorProfile split_;
  StepRecord last_step_;
  std::function<void(const StepRecord&)> step_observer_;
  std::chrono::steady_clock::time_point last_end_;
  bool pending_ = false;
};

}  // namespace cacheopt
