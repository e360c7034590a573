#include "sim/cluster/cluster.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cacheopt/cost/cpu_cost_model.h"

namespace cacheopt {
namespace {

// A step costs 10 ms plus 0.1 ms per token it runs.
CpuCostModel Cost() {
  CpuCostModel m(4096);
  m.SetCoeffs({0.01, 1e-4, 0, 0}, 1e9);
  return m;
}

SimulationOptions Options(const std::string& policy, int32_t device_blocks) {
  SimulationOptions o;
  o.policy = policy;
  o.sched.block_size = 16;
  o.sched.max_model_len = 4096;
  o.sched.device_blocks = device_blocks;
  o.sched.host_blocks = 0;
  return o;
}

// n requests at `rate`; with `prefixes` > 0 each prompt starts with one of
// that many 512-token shared prefixes (ids in 16-token units), then its own 64.
Workload MakeWorkload(int n, double rate, int prefixes) {
  Workload w;
  uint64_t x = 12345;
  auto next = [&x] { return (x = x * 6364136223846793005ULL + 1442695040888963407ULL) >> 33; };
  for (int i = 0; i < n; ++i) {
    WorkloadRequest r;
    r.id = i;
    r.arrival_s = i / rate;
    r.prompt_tokens = prefixes > 0 ? 576 : 100 + static_cast<int32_t>(next() % 700);
    r.output_tokens = 20 + static_cast<int32_t>(next() % 200);
    r.max_tokens = 1024;
    r.slo_class = static_cast<int>(next() % 3);
    if (prefixes > 0) {
      const int64_t p = static_cast<int64_t>(next() % prefixes);
      auto ids = std::make_shared<std::vector<int64_t>>();
      for (int k = 0; k < 32; ++k) ids->push_back(1000 * (p + 1) + k);
      for (int k = 0; k < 4; ++k) ids->push_back(1'000'000 + 4 * i + k);
      r.prefix_ids = ids;
      r.prefix_unit = 16;
    }
    w.requests.push_back(r);
  }
  return w;
}

void ExpectSameRun(const SimulationResult& a, const SimulationResult& b) {
  EXPECT_EQ(a.summary.requests_finished, b.summary.requests_finished);
  EXPECT_EQ(a.summary.requests_rejected, b.summary.requests_rejected);
  EXPECT_EQ(a.summary.p50_ttft_ms, b.summary.p50_ttft_ms);
  EXPECT_EQ(a.summary.p99_ttft_ms, b.summary.p99_ttft_ms);
  EXPECT_EQ(a.summary.p99_tbt_ms, b.summary.p99_tbt_ms);
  EXPECT_EQ(a.summary.mean_e2e_ms, b.summary.mean_e2e_ms);
  EXPECT_EQ(a.summary.ttft_attainment, b.summary.ttft_attainment);
  EXPECT_EQ(a.summary.stall_attainment, b.summary.stall_attainment);
  EXPECT_EQ(a.steps, b.steps);
  EXPECT_EQ(a.simulated_s, b.simulated_s);
  EXPECT_EQ(a.mean_device_blocks, b.mean_device_blocks);
  EXPECT_EQ(a.peak_kv_use, b.peak_kv_use);
  EXPECT_EQ(a.counters.preemptions_recompute, b.counters.preemptions_recompute);
  EXPECT_EQ(a.counters.prefix_hit_tokens, b.counters.prefix_hit_tokens);
  EXPECT_EQ(a.counters.prefix_query_tokens, b.counters.prefix_query_tokens);
}

// One replica behind any router is the one engine Simulate runs: the same
// steps at the same times, so the same result (preemptions included).
TEST(ClusterTest, OneReplicaReproducesSimulate) {
  const CpuCostModel cost = Cost();
  for (const char* policy : {"vllm", "vllm-v1", "cacheopt"}) {
    for (int prefixes : {0, 3}) {
      const Workload w = MakeWorkload(300, 12, prefixes);
      SimulationOptions o = Options(policy, 300);
      auto single = Simulate(w, cost, o);
      ASSERT_TRUE(single.ok()) << single.status().message();
      if (std::string(policy) == "vllm" && prefixes == 0) {
        ASSERT_GT(single->counters.preemptions_recompute, 0);
      }
      if (std::string(policy) == "vllm-v1" && prefixes > 0) {
        ASSERT_GT(single->counters.prefix_hit_tokens, 0);
      }
      o.cluster.router = "precise-prefix";
      o.cluster.replicas = 1;
      auto one = Simulate(w, cost, o);
      ASSERT_TRUE(one.ok()) << one.status().message();
      SCOPED_TRACE(std::string(policy) + " prefixes " + std::to_string(prefixes));
      ExpectSameRun(*single, *one);
      ASSERT_EQ(one->replicas.size(), 1u);
      EXPECT_EQ(one->replicas[0].routed, 300);
    }
  }
}

TEST(ClusterTest, SameInputsSameResult) {
  const CpuCostModel cost = Cost();
  const Workload w = MakeWorkload(400, 40, 5);
  for (const char* router : {"round-robin", "least-requests", "leastconn", "inference-extension", "precise-prefix"}) {
    SimulationOptions o = Options("vllm-v1", 200);
    o.cluster = {router, 3, 9};
    auto a = Simulate(w, cost, o);
    auto b = Simulate(w, cost, o);
    ASSERT_TRUE(a.ok() && b.ok()) << router;
    SCOPED_TRACE(router);
    ExpectSameRun(*a, *b);
    ASSERT_EQ(a->replicas.size(), 3u);
    int64_t routed = 0;
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(a->replicas[i].routed, b->replicas[i].routed);
      EXPECT_EQ(a->replicas[i].prefix_hit_tokens, b->replicas[i].prefix_hit_tokens);
      routed += a->replicas[i].routed;
    }
    EXPECT_EQ(routed, 400);
    EXPECT_EQ(a->summary.requests_finished, 400);
  }
}

TEST(ClusterTest, RoundRobinSplitsEvenlyAndScalesOut) {
  const CpuCostModel cost = Cost();
  const Workload w = MakeWorkload(400, 60, 0);  // overloads one engine
  SimulationOptions o = Options("vllm", 400);
  auto one = Simulate(w, cost, o);
  o.cluster = {"round-robin", 4, 0};
  auto four = Simulate(w, cost, o);
  ASSERT_TRUE(one.ok() && four.ok());
  for (const ReplicaResult& r : four->replicas) EXPECT_EQ(r.routed, 100);
  EXPECT_LT(four->summary.p99_ttft_ms, one->summary.p99_ttft_ms);
  EXPECT_LT(four->simulated_s, one->simulated_s);
}

// Requests sharing prompts: routing them where their prefix is cached
// (precise: from KV events; approximate: from where the router sent them)
// hits more than spreading them in turn, each replica holding a few prefixes.
TEST(ClusterTest, PrefixAwareRoutingHitsMoreThanRoundRobin) {
  const CpuCostModel cost = Cost();
  const Workload w = MakeWorkload(600, 20, 8);
  auto hits = [&](const char* router) {
    SimulationOptions o = Options("vllm-v1", 160);  // 4 prefixes of 32 blocks fit with the running ones
    o.cluster = {router, 4, 1};
    auto r = Simulate(w, cost, o);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? r->counters.prefix_hit_tokens : 0;
  };
  const int64_t rr = hits("round-robin");
  EXPECT_GT(hits("precise-prefix"), rr);
  EXPECT_GT(hits("inference-extension"), rr);
}

TEST(ClusterTest, BadRouterOrCountIsNamed) {
  const CpuCostModel cost = Cost();
  const Workload w = MakeWorkload(10, 1, 0);
  SimulationOptions o = Options("vllm", 100);
  o.cluster = {"nearest", 2, 0};
  auto r = Simulate(w, cost, o);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), ::testing::HasSubstr("unknown router 'nearest'; valid: round-robin"));
  o.cluster = {"round-robin", 0, 0};
  r = Simulate(w, cost, o);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), ::testing::HasSubstr("--replicas must be in [1, 64], got 0"));
}

}  // namespace
}  // namespace cacheopt
