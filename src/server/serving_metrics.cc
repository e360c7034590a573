#include "server/serving_metrics.h"

#include <algorithm>

namespace cacheopt {
namespace {

MetricLabels L(std::string k, std::string v) { return {{std::move(k), std::move(v)}}; }

double Fraction(double v) { return std::clamp(v, 0.0, 1.0); }

}  // namespace

const std::vector<double>& TtftBuckets() {
  static const std::vector<double> b = {0.001, 0.005, 0.01, 0.02,  0.04,  0.06,  0.08, 0.1,
                                        0.25,  0.5,   0.75, 1.0,   2.5,   5.0,   7.5,  10.0,
                                        20.0,  40.0,  80.0, 160.0, 640.0, 2560.0};
  return b;
}

const std::vector<double>& InterTokenBuckets() {
  static const std::vector<double> b = {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2,  0.3,  0.4, 0.5,
                                        0.75, 1.0,   2.5,  5.0,   7.5, 10.0, 20.0, 40.0, 80.0};
  return b;
}

const std::vector<double>& EngineStepBuckets() {
  static const std::vector<double> b = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                        0.1,    0.25,  0.5,    1.0,   2.5,  5.0,   10.0};
  return b;
}

const std::vector<double>& E2eBuckets() {
  static const std::vector<double> b = {0.3,  0.5,   0.8,   1.0,   1.5,   2.0,    2.5,
                                        5.0,  10.0,  15.0,  20.0,  30.0,  40.0,   50.0,
                                        60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0};
  return b;
}

std::string_view ToString(RejectReason r) {
  switch (r) {
    case RejectReason::kInvalidRequest: return "invalid_request";
    case RejectReason::kModelNotFound: return "model_not_found";
    case RejectReason::kBodyTooLarge: return "body_too_large";
    case RejectReason::kContextLength: return "context_length";
    case RejectReason::kKvCapacity: return "kv_capacity";
    case RejectReason::kQueueFull: return "queue_full";
    case RejectReason::kUnauthorized: return "unauthorized";
  }
  return "unknown";
}

ServingMetrics::ServingMetrics(const ServingMetricsConfig& c)
    : registry_({{"model_name", c.model_name}}),
      running_(registry_.AddGauge("vllm:num_requests_running",
                                  "Number of requests in model execution batches.")),
      waiting_(registry_.AddGauge("vllm:num_requests_waiting",
                                  "Number of requests waiting to be processed.")),
      kv_usage_(registry_.AddGauge("vllm:kv_cache_usage_perc",
                                   "KV-cache usage. 1 means 100 percent usage.")),
      // The name vLLM used before 0.9 (and still serves, deprecated): older
      // dashboards and routers read it.
      gpu_cache_usage_(registry_.AddGauge("vllm:gpu_cache_usage_perc",
                                          "GPU KV-cache usage. 1 means 100 percent usage (deprecated alias of "
                                          "vllm:kv_cache_usage_perc).")),
      preemptions_(registry_.AddCounter("vllm:num_preemptions_total",
                                        "Cumulative number of preemptions from the engine.")),
      prefix_queries_(registry_.AddCounter("vllm:prefix_cache_queries_total",
                                           "Prefix cache queries, in terms of number of queried tokens.")),
      prefix_hits_(registry_.AddCounter("vllm:prefix_cache_hits_total",
                                        "Prefix cache hits, in terms of number of cached tokens.")),
      prompt_tokens_(
          registry_.AddCounter("vllm:prompt_tokens_total", "Number of prefill tokens processed.")),
      generation_tokens_(registry_.AddCounter("vllm:generation_tokens_total",
                                              "Number of generation tokens processed.")),
      ttft_(registry_.AddHistogram("vllm:time_to_first_token_seconds",
                                   "Histogram of time to first token in seconds.", TtftBuckets())),
      itl_(registry_.AddHistogram("vllm:inter_token_latency_seconds",
                                  "Histogram of inter-token latency in seconds.",
                                  InterTokenBuckets())),
      e2e_(registry_.AddHistogram("vllm:e2e_request_latency_seconds",
                                  "Histogram of e2e request latency in seconds.", E2eBuckets())),
      queue_time_(registry_.AddHistogram("vllm:request_queue_time_seconds",
                                         "Histogram of time spent in WAITING phase for request.", E2eBuckets())),
      success_stop_(registry_.AddCounter("vllm:request_success_total",
                                         "Count of successfully processed requests.",
                                         L("finished_reason", "stop"))),
      success_length_(
          registry_.AddCounter("vllm:request_success_total", "", L("finished_reason", "length"))),
      success_abort_(
          registry_.AddCounter("vllm:request_success_total", "", L("finished_reason", "abort"))),
      swapped_(
          registry_.AddGauge("cacheopt_num_requests_swapped",
                             "Number of requests whose KV cache is swapped out to the host tier.")),
      host_usage_(registry_.AddGauge("cacheopt_kv_host_usage_perc",
                                     "Host (swap) KV-cache usage. 1 means 100 percent usage.")),
      lent_blocks_(
          registry_.AddGauge("cacheopt_lent_blocks",
                             "KV blocks reserved by one request and lent to another right now.")),
      reserve_in_use_(
          registry_.AddGauge("cacheopt_reserve_blocks_in_use",
                             "KV blocks of the misprediction reserve in use right now.")),
      preempt_swap_(registry_.AddCounter("cacheopt_preemptions_total", "Preemptions by kind.",
                                         L("kind", "swap"))),
      preempt_recompute_(
          registry_.AddCounter("cacheopt_preemptions_total", "", L("kind", "recompute"))),
      swap_out_blocks_(
          registry_.AddCounter("cacheopt_swap_out_blocks_total",
                               "KV blocks copied from the device tier to the host tier.")),
      swap_in_blocks_(
          registry_.AddCounter("cacheopt_swap_in_blocks_total",
                               "KV blocks copied from the host tier back to the device tier.")),
      recomputed_tokens_(
          registry_.AddCounter("cacheopt_recomputed_tokens_total",
                               "Tokens prefilled again after a preemption by recompute.")),
      prefix_cache_blocks_(registry_.AddGauge(
          "cacheopt_prefix_cache_blocks",
          "Device KV blocks in the prefix cache (held or evictable): the blocks KV events announce.")),
      prefix_cache_evictable_(registry_.AddGauge(
          "cacheopt_prefix_cache_evictable_blocks",
          "Prefix-cache blocks no request holds: evictable, counted as free in vllm:kv_cache_usage_perc.")),
      accepted_(registry_.AddCounter("cacheopt_requests_accepted_total",
                                     "Completions handed to the engine's queue (each then ends finished, "
                                     "aborted or with an error).")),
      open_requests_(registry_.AddGauge("cacheopt_requests_open",
                                        "Completions accepted and not yet answered in full.")),
      open_connections_(registry_.AddGauge("cacheopt_http_connections_open",
                                           "HTTP connections open (served or waiting for a thread).")),
      refused_connections_(registry_.AddCounter("cacheopt_http_refused_total",
                                                "Connections or requests the HTTP layer refused, by reason.",
                                                L("reason", "max_connections"))),
      refused_heads_(registry_.AddCounter("cacheopt_http_refused_total", "", L("reason", "header_too_large"))) {
  for (int k = 0; k < kNumSloClasses; ++k) {
    std::string cls(ToString(static_cast<SloClass>(k)));
    slo_requests_[k] = &registry_.AddCounter("cacheopt_slo_requests_total",
                                             "Finished (not aborted) requests, by SLO class.",
                                             L("slo_class", cls));
  }
  for (int k = 0; k < kNumSloClasses; ++k) {
    std::string cls(ToString(static_cast<SloClass>(k)));
    const char* help =
        "Finished requests that met their SLO (ttft: TTFT <= target; tbt: own p95 gap <= target).";
    ttft_attained_[k] = &registry_.AddCounter("cacheopt_slo_attained_total", help,
                                              {{"slo", "ttft"}, {"slo_class", cls}});
    tbt_attained_[k] = &registry_.AddCounter("cacheopt_slo_attained_total", help,
                                             {{"slo", "tbt"}, {"slo_class", cls}});
  }
  for (int r = 0; r < kNumRejectReasons; ++r) {
    rejected_[r] =
        &registry_.AddCounter("cacheopt_requests_rejected_total", "Requests refused, by reason.",
                              L("reason", std::string(ToString(static_cast<RejectReason>(r)))));
  }
  step_seconds_ = &registry_.AddHistogram("cacheopt_engine_step_seconds",
                                          "Wall time of each engine step that ran (scheduling, copies, forward "
                                          "pass, sampling).",
                                          EngineStepBuckets());
  const char* parts[] = {"copy", "prepare", "forward", "sample", "schedule", "loop"};
  for (int i = 0; i < 6; ++i)
    step_part_seconds_[i] = &registry_.AddCounter(
        "cacheopt_engine_step_part_seconds_total",
        "Engine time by part: KV copies, batch building, forward pass, sampling, scheduling and bookkeeping, and "
        "the engine loop outside steps while work was pending.",
        L("part", parts[i]));
  // Registered last: a constant that only carries labels.
  registry_
      .AddGauge("vllm:cache_config_info", "Information of the LLMEngine CacheConfig",
                {{"block_size", std::to_string(c.block_size)},
                 {"num_gpu_blocks", std::to_string(c.num_gpu_blocks)},
                 {"num_cpu_blocks", std::to_string(c.num_cpu_blocks)},
                 {"policy", c.policy}})
      .Set(1);
}

void ServingMetrics::OnStep(const EngineSnapshot& s) {
  running_.Set(static_cast<double>(s.running));
  waiting_.Set(static_cast<double>(s.waiting));
  swapped_.Set(static_cast<double>(s.swapped));
  kv_usage_.Set(Fraction(s.kv_usage));
  gpu_cache_usage_.Set(Fraction(s.kv_usage));
  host_usage_.Set(Fraction(s.host_kv_usage));
  lent_blocks_.Set(static_cast<double>(s.lent_blocks));
  reserve_in_use_.Set(static_cast<double>(s.reserve_blocks_in_use));
  prompt_tokens_.SetTotal(static_cast<double>(s.prompt_tokens_total));
  generation_tokens_.SetTotal(static_cast<double>(s.generation_tokens_total));
  preempt_swap_.SetTotal(static_cast<double>(s.preemptions_swap_total));
  preempt_recompute_.SetTotal(static_cast<double>(s.preemptions_recompute_total));
  preemptions_.SetTotal(
      static_cast<double>(s.preemptions_swap_total + s.preemptions_recompute_total));
  swap_out_blocks_.SetTotal(static_cast<double>(s.swap_out_blocks_total));
  swap_in_blocks_.SetTotal(static_cast<double>(s.swap_in_blocks_total));
  recomputed_tokens_.SetTotal(static_cast<double>(s.recomputed_tokens_total));
  prefix_queries_.SetTotal(static_cast<double>(s.prefix_query_tokens_total));
  prefix_hits_.SetTotal(static_cast<double>(s.prefix_hit_tokens_total));
  prefix_cache_blocks_.Set(static_cast<double>(s.prefix_cache_blocks));
  prefix_cache_evictable_.Set(static_cast<double>(s.prefix_cache_evictable_blocks));
}

void ServingMetrics::OnFirstToken(double ttft_s) { ttft_.Observe(ttft_s); }

void ServingMetrics::OnTokenGap(double gap_s) { itl_.Observe(gap_s); }

void ServingMetrics::OnFinish(const FinishRecord& r) {
  e2e_.Observe(r.e2e_s);
  if (r.finish_reason == "abort") {
    success_abort_.Inc();
    return;
  }
  (r.finish_reason == "length" ? success_length_ : success_stop_).Inc();
  int k = static_cast<int>(r.slo_class);
  slo_requests_[k]->Inc();
  if (r.ttft_ok) ttft_attained_[k]->Inc();
  if (r.tbt_ok) tbt_attained_[k]->Inc();
}

void ServingMetrics::SetHttp(const HttpSnapshot& h) {
  open_requests_.Set(static_cast<double>(h.open_requests));
  open_connections_.Set(static_cast<double>(h.open_connections));
  refused_connections_.SetTotal(static_cast<double>(h.refused_connections));
  refused_heads_.SetTotal(static_cast<double>(h.refused_heads));
}

void ServingMetrics::OnRejected(RejectReason reason) { rejected_[static_cast<int>(reason)]->Inc(); }

void ServingMetrics::OnEngineStep(const EngineStepTimes& t) {
  step_seconds_->Observe(t.wall_s);
  const double parts[] = {t.copy_s, t.prepare_s, t.forward_s, t.sample_s, t.schedule_s, t.loop_s};
  for (int i = 0; i < 6; ++i) step_part_seconds_[i]->Inc(parts[i]);
}

}  // namespace cacheopt
