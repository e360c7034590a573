// The serving metric set behind GET /metrics: vLLM's names where the meaning
// is the same (so dashboards and the Gateway API Inference Extension's
// endpoint picker read us as they read vLLM), and cacheopt_* series for what
// only CacheOPT has. Every series carries model_name, as vLLM's do.
//
// Model-server protocol (gateway-api-inference-extension, proposal 003):
// vllm:num_requests_waiting (queued), vllm:num_requests_running and
// vllm:kv_cache_usage_perc (a 0-1 fraction) are one gauge series each, and
// vllm:cache_config_info is a gauge fixed at 1 whose labels carry
// block_size and num_gpu_blocks.
//
// The engine thread calls the On* methods; HTTP threads call Render. The
// histogram buckets are vLLM's (vllm/v1/metrics/loggers.py).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cacheopt/request.h"
#include "server/metrics.h"

namespace cacheopt {

struct ServingMetricsConfig {
  std::string model_name;
  int32_t block_size = 16;     // tokens per KV block
  int32_t num_gpu_blocks = 0;  // device KV tier (vLLM's name; ours is a CPU arena)
  int32_t num_cpu_blocks = 0;  // host (swap) tier
  std::string policy;          // scheduling policy, an extra cache_config_info label
};

// The engine's state after a step. Gauges are current values; the *_total
// fields are cumulative since start (the engine keeps them), mirrored into
// counters as is.
struct EngineSnapshot {
  int64_t running = 0, waiting = 0, swapped = 0;
  double kv_usage = 0;                  // device blocks in use / total, 0-1
  double host_kv_usage = 0;             // host blocks in use / total, 0-1
  int64_t lent_blocks = 0;              // C2: reserved-but-unused blocks lent out now
  int64_t reserve_blocks_in_use = 0;    // C3: blocks of the misprediction reserve in use now
  int64_t prompt_tokens_total = 0;      // prompt tokens of accepted requests
  int64_t generation_tokens_total = 0;  // tokens generated
  int64_t preemptions_swap_total = 0;
  int64_t preemptions_recompute_total = 0;
  int64_t swap_out_blocks_total = 0;
  int64_t swap_in_blocks_total = 0;
  int64_t recomputed_tokens_total = 0;
  int64_t prefix_query_tokens_total = 0;  // prefix cache lookups, in tokens (vLLM V1)
  int64_t prefix_hit_tokens_total = 0;    // of those, found cached
  // Device blocks in the prefix cache now (held or not), and of those the
  // ones no request holds (evictable; they count as free in kv_usage).
  int64_t prefix_cache_blocks = 0, prefix_cache_evictable_blocks = 0;
};

// Why a request never reached the engine, or was dropped by it.
enum class RejectReason : int8_t {
  kInvalidRequest,  // 400 from the protocol layer
  kModelNotFound,   // 404
  kBodyTooLarge,    // 413
  kContextLength,   // prompt + max_tokens over the context (400)
  kKvCapacity,      // can never fit the device KV tier
  kQueueFull,       // 429: the hand-off queue is full
  kUnauthorized,    // 401: no or a wrong API key
};
inline constexpr int kNumRejectReasons = 7;
// "invalid_request", "model_not_found", "body_too_large", "context_length",
// "kv_capacity", "queue_full", "unauthorized": the label values.
std::string_view ToString(RejectReason r);

// The HTTP front end's state, read when /metrics is rendered.
struct HttpSnapshot {
  int64_t open_requests = 0;      // completions accepted and not yet answered in full
  int64_t open_connections = 0;   // served or waiting for a connection thread
  int64_t refused_connections = 0;  // over serve --max-connections (503)
  int64_t refused_heads = 0;        // request head over serve --max-header (431)
};

struct FinishRecord {
  std::string_view finish_reason = "stop";  // "stop" | "length" | "abort"
  double e2e_s = 0;
  SloClass slo_class = SloClass::kMedium;
  bool ttft_ok = false;  // TTFT <= its TTFT SLO
  bool tbt_ok = false;   // its own p95 gap <= its TBT SLO (fewer than 2 tokens: met)
};

// Where one engine step's wall time went, in seconds (runtime/step_record.h).
struct EngineStepTimes {
  double wall_s = 0;
  double copy_s = 0, prepare_s = 0, forward_s = 0, sample_s = 0, schedule_s = 0, loop_s = 0;
};

// Bounds of cacheopt_engine_step_seconds: a CPU step takes a millisecond to seconds.
const std::vector<double>& EngineStepBuckets();

class ServingMetrics {
 public:
  explicit ServingMetrics(const ServingMetricsConfig& config);

  void OnStep(const EngineSnapshot& s);
  // A request's first scheduling: `queue_s` from its HTTP arrival (the
  // server's hand-off queue and the scheduler's waiting queue both count).
  void OnScheduled(double queue_s) { queue_time_.Observe(queue_s); }
  void OnFirstToken(double ttft_s);
  // Each gap between consecutive tokens of a request, stalls included.
  void OnTokenGap(double gap_s);
  // Counted in request_success by reason, and its E2E observed. Aborted
  // requests do not count toward SLO attainment.
  void OnFinish(const FinishRecord& r);
  void OnRejected(RejectReason reason);
  // A completion handed to the engine's queue: from here it ends finished,
  // aborted (the client left) or with an error, never silently.
  void OnAccepted() { accepted_.Inc(); }
  // An accepted request whose client left before it reached the engine.
  void OnAbortedWaiting() { success_abort_.Inc(); }
  void SetHttp(const HttpSnapshot& h);
  // One engine step that ran (RealEngine::last_step): its wall time into
  // cacheopt_engine_step_seconds, its split into the part counters.
  void OnEngineStep(const EngineStepTimes& t);

  // The load figures a balancer reads (lb_agent.h), as last published.
  struct Load {
    double running = 0, waiting = 0, kv_usage = 0;
  };
  Load load() const { return {running_.value(), waiting_.value(), kv_usage_.value()}; }

  std::string Render() const { return registry_.Render(); }
  void RenderTo(std::string* out) const { registry_.RenderTo(out); }
  const MetricsRegistry& registry() const { return registry_; }

 private:
  MetricsRegistry registry_;
  // vllm:*
  Gauge& running_;
  Gauge& waiting_;
  Gauge& kv_usage_;
  Gauge& gpu_cache_usage_;  // vLLM's older name for kv_usage_
  Counter& preemptions_;
  Counter& prefix_queries_;
  Counter& prefix_hits_;
  Counter& prompt_tokens_;
  Counter& generation_tokens_;
  Histogram& ttft_;
  Histogram& itl_;
  Histogram& e2e_;
  Histogram& queue_time_;
  Counter& success_stop_;
  Counter& success_length_;
  Counter& success_abort_;
  // cacheopt_*
  Gauge& swapped_;
  Gauge& host_usage_;
  Gauge& lent_blocks_;
  Gauge& reserve_in_use_;
  Counter& preempt_swap_;
  Counter& preempt_recompute_;
  Counter& swap_out_blocks_;
  Counter& swap_in_blocks_;
  Counter& recomputed_tokens_;
  Gauge& prefix_cache_blocks_;
  Gauge& prefix_cache_evictable_;
  std::array<Counter*, kNumSloClasses> slo_requests_{};
  std::array<Counter*, kNumSloClasses> ttft_attained_{};
  std::array<Counter*, kNumSloClasses> tbt_attained_{};
  std::array<Counter*, kNumRejectReasons> rejected_{};
  Counter& accepted_;
  Gauge& open_requests_;
  Gauge& open_connections_;
  Counter& refused_connections_;
  Counter& refused_heads_;
  // Step timing (issue 19): registered after the others.
  Histogram* step_seconds_ = nullptr;
  std::array<Counter*, 6> step_part_seconds_{};  // copy, prepare, forward, sample, schedule, loop
};

// vLLM's bucket bounds, in seconds (E2E and queue time share one set).
const std::vector<double>& TtftBuckets();
const std::vector<double>& InterTokenBuckets();
const std::vector<double>& E2eBuckets();

}  // namespace cacheopt
