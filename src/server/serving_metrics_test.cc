#include "server/serving_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/prometheus_text_test_util.h"

namespace cacheopt {
namespace {

using testing_prom::Exposition;
using testing_prom::ParseExposition;

ServingMetricsConfig Config() {
  ServingMetricsConfig c;
  c.model_name = "llama-2-7b";
  c.block_size = 16;
  c.num_gpu_blocks = 2048;
  c.num_cpu_blocks = 512;
  c.policy = "cacheopt";
  return c;
}

double Value(const Exposition& e, const std::string& name,
             const std::map<std::string, std::string>& labels = {}) {
  const testing_prom::Sample* s = e.Find(name, labels);
  EXPECT_NE(s, nullptr) << name;
  return s ? s->value : -1;
}

TEST(ServingMetricsTest, EveryFamilyIsTypedAndEverySeriesNamesTheModel) {
  ServingMetrics m(Config());
  Exposition e = ParseExposition(m.Render());
  const std::map<std::string, std::string> expected = {
      {"vllm:num_requests_running", "gauge"},
      {"vllm:num_requests_waiting", "gauge"},
      {"vllm:kv_cache_usage_perc", "gauge"},
      {"vllm:gpu_cache_usage_perc", "gauge"},
      {"vllm:num_preemptions_total", "counter"},
      {"vllm:prefix_cache_queries_total", "counter"},
      {"vllm:prefix_cache_hits_total", "counter"},
      {"vllm:prompt_tokens_total", "counter"},
      {"vllm:generation_tokens_total", "counter"},
      {"vllm:time_to_first_token_seconds", "histogram"},
      {"vllm:inter_token_latency_seconds", "histogram"},
      {"vllm:e2e_request_latency_seconds", "histogram"},
      {"vllm:request_queue_time_seconds", "histogram"},
      {"vllm:request_success_total", "counter"},
      {"vllm:cache_config_info", "gauge"},
      {"cacheopt_num_requests_swapped", "gauge"},
      {"cacheopt_kv_host_usage_perc", "gauge"},
      {"cacheopt_lent_blocks", "gauge"},
      {"cacheopt_reserve_blocks_in_use", "gauge"},
      {"cacheopt_preemptions_total", "counter"},
      {"cacheopt_swap_out_blocks_total", "counter"},
      {"cacheopt_swap_in_blocks_total", "counter"},
      {"cacheopt_recomputed_tokens_total", "counter"},
      {"cacheopt_prefix_cache_blocks", "gauge"},
      {"cacheopt_prefix_cache_evictable_blocks", "gauge"},
      {"cacheopt_slo_requests_total", "counter"},
      {"cacheopt_slo_attained_total", "counter"},
      {"cacheopt_requests_rejected_total", "counter"},
      {"cacheopt_requests_accepted_total", "counter"},
      {"cacheopt_requests_open", "gauge"},
      {"cacheopt_http_connections_open", "gauge"},
      {"cacheopt_http_refused_total", "counter"},
      {"cacheopt_engine_step_seconds", "histogram"},
      {"cacheopt_engine_step_part_seconds_total", "counter"},
  };
  EXPECT_EQ(e.types, expected);
  for (const auto& s : e.samples) {
    EXPECT_EQ(s.labels.count("model_name"), 1u) << s.name;
    EXPECT_EQ(s.labels.at("model_name"), "llama-2-7b");
  }
  // The inference gateway reads one series per gauge.
  for (const char* g :
       {"vllm:num_requests_running", "vllm:num_requests_waiting", "vllm:kv_cache_usage_perc",
        "vllm:gpu_cache_usage_perc"}) {
    int n = 0;
    for (const auto& s : e.samples) n += s.name == g;
    EXPECT_EQ(n, 1) << g;
  }
}

TEST(ServingMetricsTest, HttpStateAndAcceptedRequests) {
  ServingMetrics m(Config());
  m.OnAccepted();
  m.OnAccepted();
  HttpSnapshot h;
  h.open_requests = 2;
  h.open_connections = 5;
  h.refused_connections = 3;
  h.refused_heads = 1;
  m.SetHttp(h);
  const std::string text = m.Render();
  EXPECT_NE(text.find("cacheopt_requests_accepted_total{model_name=\"llama-2-7b\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("cacheopt_requests_open{model_name=\"llama-2-7b\"} 2"), std::string::npos);
  EXPECT_NE(text.find("cacheopt_http_connections_open{model_name=\"llama-2-7b\"} 5"), std::string::npos);
  EXPECT_NE(text.find("reason=\"max_connections\"} 3"), std::string::npos);
  EXPECT_NE(text.find("reason=\"header_too_large\"} 1"), std::string::npos);
}

TEST(ServingMetricsTest, CacheConfigInfoCarriesBlockSizeAndBlockCounts) {
  ServingMetrics m(Config());
  Exposition e = ParseExposition(m.Render());
  EXPECT_EQ(Value(e, "vllm:cache_config_info",
                  {{"block_size", "16"},
                   {"num_gpu_blocks", "2048"},
                   {"num_cpu_blocks", "512"},
                   {"policy", "cacheopt"}}),
            1);
}

TEST(ServingMetricsTest, OnStepSetsGaugesAndMirrorsTotals) {
  ServingMetrics m(Config());
  EngineSnapshot s;
  s.running = 7;
  s.waiting = 3;
  s.swapped = 1;
  s.kv_usage = 1.3;  // clamped to a fraction
  s.host_kv_usage = 0.25;
  s.lent_blocks = 12;
  s.reserve_blocks_in_use = 4;
  s.prompt_tokens_total = 1000;
  s.generation_tokens_total = 500;
  s.preemptions_swap_total = 2;
  s.preemptions_recompute_total = 5;
  s.swap_out_blocks_total = 40;
  s.swap_in_blocks_total = 32;
  s.recomputed_tokens_total = 900;
  m.OnStep(s);
  Exposition e = ParseExposition(m.Render());
  EXPECT_EQ(Value(e, "vllm:num_requests_running"), 7);
  EXPECT_EQ(Value(e, "vllm:num_requests_waiting"), 3);
  EXPECT_EQ(Value(e, "vllm:kv_cache_usage_perc"), 1.0);
  EXPECT_EQ(Value(e, "vllm:gpu_cache_usage_perc"), 1.0);  // the legacy alias follows
  const ServingMetrics::Load load = m.load();
  EXPECT_EQ(load.running, 7);
  EXPECT_EQ(load.waiting, 3);
  EXPECT_EQ(load.kv_usage, 1.0);
  EXPECT_EQ(Value(e, "cacheopt_num_requests_swapped"), 1);
  EXPECT_EQ(Value(e, "cacheopt_kv_host_usage_perc"), 0.25);
  EXPECT_EQ(Value(e, "cacheopt_lent_blocks"), 12);
  EXPECT_EQ(Value(e, "cacheopt_reserve_blocks_in_use"), 4);
  EXPECT_EQ(Value(e, "vllm:prompt_tokens_total"), 1000);
  EXPECT_EQ(Value(e, "vllm:generation_tokens_total"), 500);
  EXPECT_EQ(Value(e, "vllm:num_preemptions_total"), 7);
  EXPECT_EQ(Value(e, "cacheopt_preemptions_total", {{"kind", "swap"}}), 2);
  EXPECT_EQ(Value(e, "cacheopt_preemptions_total", {{"kind", "recompute"}}), 5);
  EXPECT_EQ(Value(e, "cacheopt_swap_out_blocks_total"), 40);
  EXPECT_EQ(Value(e, "cacheopt_swap_in_blocks_total"), 32);
  EXPECT_EQ(Value(e, "cacheopt_recomputed_tokens_total"), 900);
}

TEST(ServingMetricsTest, LatencyHistogramsUseVllmBuckets) {
  ServingMetrics m(Config());
  m.OnFirstToken(0.3);
  m.OnTokenGap(0.02);
  m.OnTokenGap(0.2);
  m.OnScheduled(0.6);
  Exposition e = ParseExposition(m.Render());
  int ttft_buckets = 0, itl_buckets = 0, e2e_buckets = 0, queue_buckets = 0;
  for (const auto& s : e.samples) {
    ttft_buckets += s.name == "vllm:time_to_first_token_seconds_bucket";
    itl_buckets += s.name == "vllm:inter_token_latency_seconds_bucket";
    e2e_buckets += s.name == "vllm:e2e_request_latency_seconds_bucket";
    queue_buckets += s.name == "vllm:request_queue_time_seconds_bucket";
  }
  EXPECT_EQ(queue_buckets, 22);  // vLLM's request_latency_buckets, as E2E
  EXPECT_EQ(Value(e, "vllm:request_queue_time_seconds_bucket", {{"le", "0.5"}}), 0);
  EXPECT_EQ(Value(e, "vllm:request_queue_time_seconds_bucket", {{"le", "0.8"}}), 1);
  EXPECT_EQ(Value(e, "vllm:request_queue_time_seconds_count"), 1);
  EXPECT_EQ(ttft_buckets, 23);  // 22 bounds + +Inf
  EXPECT_EQ(itl_buckets, 20);
  EXPECT_EQ(e2e_buckets, 22);
  EXPECT_EQ(Value(e, "vllm:time_to_first_token_seconds_bucket", {{"le", "0.25"}}), 0);
  EXPECT_EQ(Value(e, "vllm:time_to_first_token_seconds_bucket", {{"le", "0.5"}}), 1);
  EXPECT_EQ(Value(e, "vllm:time_to_first_token_seconds_bucket", {{"le", "2560.0"}}), 1);
  EXPECT_EQ(Value(e, "vllm:inter_token_latency_seconds_bucket", {{"le", "0.025"}}), 1);
  EXPECT_EQ(Value(e, "vllm:inter_token_latency_seconds_count"), 2);
  EXPECT_DOUBLE_EQ(Value(e, "vllm:inter_token_latency_seconds_sum"), 0.22);
}

TEST(ServingMetricsTest, FinishCountsReasonsAndSloAttainment) {
  ServingMetrics m(Config());
  m.OnFinish({"stop", 1.2, SloClass::kTight, true, false});
  m.OnFinish({"length", 3.0, SloClass::kTight, true, true});
  m.OnFinish({"stop", 0.4, SloClass::kLoose, false, true});
  m.OnFinish({"abort", 9.0, SloClass::kTight, false, false});  // not an SLO sample
  Exposition e = ParseExposition(m.Render());
  EXPECT_EQ(Value(e, "vllm:request_success_total", {{"finished_reason", "stop"}}), 2);
  EXPECT_EQ(Value(e, "vllm:request_success_total", {{"finished_reason", "length"}}), 1);
  EXPECT_EQ(Value(e, "vllm:request_success_total", {{"finished_reason", "abort"}}), 1);
  EXPECT_EQ(Value(e, "vllm:e2e_request_latency_seconds_count"), 4);
  EXPECT_EQ(Value(e, "cacheopt_slo_requests_total", {{"slo_class", "tight"}}), 2);
  EXPECT_EQ(Value(e, "cacheopt_slo_requests_total", {{"slo_class", "medium"}}), 0);
  EXPECT_EQ(Value(e, "cacheopt_slo_requests_total", {{"slo_class", "loose"}}), 1);
  EXPECT_EQ(Value(e, "cacheopt_slo_attained_total", {{"slo", "ttft"}, {"slo_class", "tight"}}), 2);
  EXPECT_EQ(Value(e, "cacheopt_slo_attained_total", {{"slo", "tbt"}, {"slo_class", "tight"}}), 1);
  EXPECT_EQ(Value(e, "cacheopt_slo_attained_total", {{"slo", "ttft"}, {"slo_class", "loose"}}), 0);
  EXPECT_EQ(Value(e, "cacheopt_slo_attained_total", {{"slo", "tbt"}, {"slo_class", "loose"}}), 1);
}

TEST(ServingMetricsTest, RejectionsByReason) {
  ServingMetrics m(Config());
  m.OnRejected(RejectReason::kBodyTooLarge);
  m.OnRejected(RejectReason::kContextLength);
  m.OnRejected(RejectReason::kContextLength);
  Exposition e = ParseExposition(m.Render());
  EXPECT_EQ(Value(e, "cacheopt_requests_rejected_total", {{"reason", "body_too_large"}}), 1);
  EXPECT_EQ(Value(e, "cacheopt_requests_rejected_total", {{"reason", "context_length"}}), 2);
  EXPECT_EQ(Value(e, "cacheopt_requests_rejected_total", {{"reason", "kv_capacity"}}), 0);
  EXPECT_EQ(ToString(RejectReason::kModelNotFound), "model_not_found");
  EXPECT_EQ(ToString(RejectReason::kQueueFull), "queue_full");
  EXPECT_EQ(ToString(RejectReason::kUnauthorized), "unauthorized");
}

TEST(ServingMetricsTest, EngineStepsGoToTheStepHistogramAndThePartCounters) {
  ServingMetrics m(Config());
  EngineStepTimes t;
  t.wall_s = 0.003;
  t.copy_s = 0.0001;
  t.prepare_s = 0.0002;
  t.forward_s = 0.002;
  t.sample_s = 0.0004;
  t.schedule_s = 0.0003;
  t.loop_s = 0.0005;
  m.OnEngineStep(t);
  t.wall_s = 0.2;
  m.OnEngineStep(t);
  Exposition e = ParseExposition(m.Render());
  EXPECT_EQ(Value(e, "cacheopt_engine_step_seconds_count"), 2);
  EXPECT_DOUBLE_EQ(Value(e, "cacheopt_engine_step_seconds_sum"), 0.203);
  EXPECT_EQ(Value(e, "cacheopt_engine_step_seconds_bucket", {{"le", "0.005"}}), 1);
  EXPECT_EQ(Value(e, "cacheopt_engine_step_seconds_bucket", {{"le", "0.25"}}), 2);
  EXPECT_DOUBLE_EQ(Value(e, "cacheopt_engine_step_part_seconds_total", {{"part", "forward"}}), 0.004);
  EXPECT_DOUBLE_EQ(Value(e, "cacheopt_engine_step_part_seconds_total", {{"part", "loop"}}), 0.001);
}

}  // namespace
}  // namespace cacheopt
