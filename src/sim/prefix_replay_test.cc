// The simulator replays a trace's prefix structure: with a pool that never
// evicts and requests that never overlap, the prefix cache's hits are
// exactly the blocks an offline pass over the trace finds reusable.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <set>
#include <vector>

#include "cacheopt/cost/cpu_cost_model.h"
#include "cacheopt/random/distributions.h"
#include "sim/prefix_hashes.h"
#include "sim/simulator.h"
#include "trace/prefix_workloads.h"
#include "trace/trace.h"

namespace cacheopt {
namespace {

constexpr int32_t kBs = 16;

CpuCostModel FlatCost() {
  CpuCostModel m(1 << 20);
  m.SetCoeffs({0.1, 0, 0, 0}, 1e9);
  return m;
}

// Requests 1000 s apart (each ends before the next arrives), two tokens out.
Workload Sequential(const std::vector<std::pair<int32_t, std::vector<int64_t>>>& prompts) {
  Workload w;
  for (size_t i = 0; i < prompts.size(); ++i) {
    WorkloadRequest q;
    q.id = static_cast<int64_t>(i);
    q.arrival_s = 1000.0 * static_cast<double>(i);
    q.prompt_tokens = prompts[i].first;
    q.output_tokens = 2;
    q.max_tokens = 2;
    q.prefix_ids = std::make_shared<const std::vector<int64_t>>(prompts[i].second);
    q.prefix_unit = kPrefixBlockTokens;
    w.requests.push_back(q);
  }
  return w;
}

// Offline: for each request in order, its leading prompt blocks whose hash
// an earlier request left computed (a chained hash seen means its whole
// prefix was), capped at its tokens less one. A request leaves computed every
// full block of its prompt and of its output but the last token (whose KV is
// never computed); `answers` false counts the prompt's blocks alone.
int64_t OfflineReusableBlocks(const Workload& w, bool answers = true) {
  std::set<BlockHash> seen;
  int64_t reusable = 0;
  for (const WorkloadRequest& q : w.requests) {
    auto h = SequenceBlockHashes(*q.prefix_ids, q.prefix_covers_output, q.prompt_tokens, q.output_tokens, kBs,
                                 q.prefix_unit, q.id);
    EXPECT_TRUE(h.ok());
    const size_t prompt_blocks = std::min(h->size(), static_cast<size_t>(q.prompt_tokens / kBs));
    const size_t cap = std::min(prompt_blocks, static_cast<size_t>(q.prompt_tokens - 1) / kBs);
    for (size_t i = 0; i < cap && seen.count((*h)[i]); ++i) ++reusable;
    const size_t computed = answers ? static_cast<size_t>(q.prompt_tokens + q.output_tokens - 1) / kBs : prompt_blocks;
    seen.insert(h->begin(), h->begin() + static_cast<std::ptrdiff_t>(std::min(h->size(), computed)));
  }
  return reusable;
}

Result<SimulationResult> Replay(const Workload& w, bool caching, bool check = true,
                                const std::string& policy = "vllm-v1") {
  SimulationOptions o;
  o.policy = policy;
  o.sched.block_size = kBs;
  o.sched.max_model_len = 1 << 20;
  o.sched.device_blocks = 1 << 20;  // never evicts
  o.sched.knobs["prefix_caching"] = caching ? "1" : "0";
  o.check_invariants = check;  // O(pool) per step: off for the long trace
  const CpuCostModel cost = FlatCost();
  return Simulate(w, cost, o);
}

void ExpectHitsMatchTheOfflineCount(const Workload& w, bool check = true, const std::string& policy = "vllm-v1") {
  auto r = Replay(w, true, check, policy);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_TRUE(r->prefix_caching);
  EXPECT_EQ(r->counters.prefix_hit_blocks, OfflineReusableBlocks(w));
  EXPECT_EQ(r->counters.prefix_hit_tokens, r->counters.prefix_hit_blocks * kBs);
  EXPECT_EQ(r->evictions, 0);
  EXPECT_GT(r->counters.prefix_hit_blocks, 0);
}

TEST(PrefixReplayTest, HitsEqualTheOfflineCountOnConversations) {
  // 40 conversations of growing prompts over shared 512-token ids, partial
  // last ids of varying coverage, interleaved at random.
  Rng rng(7);
  std::vector<std::vector<int64_t>> convo(40);
  std::vector<std::pair<int32_t, std::vector<int64_t>>> prompts;
  int64_t next_id = 1;
  for (int turn = 0; turn < 6; ++turn) {
    for (size_t c = 0; c < convo.size(); ++c) {
      if (UniformInt(rng, 3) == 0) continue;
      const int add = 1 + static_cast<int>(UniformInt(rng, 3));
      for (int k = 0; k < add; ++k) convo[c].push_back(c < 5 && convo[c].empty() ? 0 : next_id++);  // 5 share id 0
      const int32_t tokens = static_cast<int32_t>(convo[c].size() - 1) * kPrefixBlockTokens + 1 +
                             static_cast<int32_t>(UniformInt(rng, kPrefixBlockTokens));
      prompts.push_back({tokens, convo[c]});
    }
  }
  ExpectHitsMatchTheOfflineCount(Sequential(prompts));
  ExpectHitsMatchTheOfflineCount(Sequential(prompts), true, "cacheopt");
}

TEST(PrefixReplayTest, HitsEqualTheOfflineCountWithAnswersOnGeneratedConversations) {
  // Each next turn repeats the previous prompt and its answer: the blocks the
  // answer filled are hit too (vLLM V1 caches generated blocks).
  auto t = PrefixWorkloadTrace("multi-turn:turns=4,new_share=0.1,first_median=300,output_median=40", 5, 60);
  ASSERT_TRUE(t.ok()) << t.status().message();
  ASSERT_TRUE(t->prefix_ids_cover_output);
  Workload w;
  for (size_t i = 0; i < t->rows.size(); ++i) {
    const TraceRow& r = t->rows[i];
    WorkloadRequest q;
    q.id = static_cast<int64_t>(i);
    q.arrival_s = 1000.0 * static_cast<double>(i);
    q.prompt_tokens = r.prompt_tokens;
    q.output_tokens = q.max_tokens = r.output_tokens;
    q.prefix_ids = std::make_shared<const std::vector<int64_t>>(r.prefix_block_ids);
    q.prefix_unit = t->prefix_block_tokens;
    q.prefix_covers_output = true;
    w.requests.push_back(q);
  }
  ExpectHitsMatchTheOfflineCount(w, /*check=*/false);
  ExpectHitsMatchTheOfflineCount(w, false, "cacheopt");
  EXPECT_LT(OfflineReusableBlocks(w, /*answers=*/false), OfflineReusableBlocks(w));
}

TEST(PrefixReplayTest, HitsEqualTheOfflineCountOnTheMooncakeTrace) {
  const std::string path = std::string(CACHEOPT_SHARED_DIR) + "/data/mooncake/synthetic_trace.jsonl";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no Mooncake trace at " << path;
  auto trace = ReadTrace(path);
  ASSERT_TRUE(trace.ok()) << trace.status().message();
  std::vector<std::pair<int32_t, std::vector<int64_t>>> prompts;
  for (size_t i = 0; i < trace->rows.size() && i < 300; ++i)
    prompts.push_back({trace->rows[i].prompt_tokens, trace->rows[i].prefix_block_ids});
  ExpectHitsMatchTheOfflineCount(Sequential(prompts), /*check=*/false);
}

// Under pressure (a pool far smaller than the offered load, shared system
// prompts), every policy that caches keeps every invariant every step and
// still hits.
TEST(PrefixReplayTest, PressureWithSharedPrefixesKeepsTheInvariants) {
  Workload w;
  Rng rng(11);
  for (int i = 0; i < 300; ++i) {
    WorkloadRequest q;
    q.id = i;
    q.arrival_s = 0.05 * i;
    q.prompt_tokens = 600 + static_cast<int32_t>(UniformInt(rng, 400));
    q.output_tokens = 1 + static_cast<int32_t>(UniformInt(rng, 300));
    q.max_tokens = 400;
    const int64_t family = static_cast<int64_t>(UniformInt(rng, 3));
    q.prefix_ids = std::make_shared<const std::vector<int64_t>>(std::vector<int64_t>{family, 100 + i});
    q.prefix_unit = kPrefixBlockTokens;
    w.requests.push_back(q);
  }
  for (const char* policy : {"vllm-v1", "cacheopt"}) {
    SimulationOptions o;
    o.policy = policy;
    o.sched.block_size = kBs;
    o.sched.max_model_len = 4096;
    o.sched.device_blocks = 400;  // 6400 tokens for about 300 x 1000
    o.sched.host_blocks = 400;
    o.sched.knobs["prefix_caching"] = "1";
    o.check_invariants = true;
    CpuCostModel cost(1 << 20);
    cost.SetCoeffs({0.01, 1e-5, 0, 0}, 1e9);
    auto r = Simulate(w, cost, o);
    ASSERT_TRUE(r.ok()) << policy << ": " << r.status().message();
    EXPECT_EQ(r->summary.requests_finished, 300) << policy;
    EXPECT_GT(r->counters.prefix_hit_blocks, 0) << policy;
    EXPECT_GT(r->evictions, 0) << policy;
  }
}

TEST(PrefixReplayTest, OffMeansNoHitsAndNoStats) {
  auto r = Replay(Sequential({{600, {1, 2}}, {600, {1, 2}}}), false);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->prefix_caching);
  EXPECT_EQ(r->counters.prefix_hit_tokens, 0);
}

TEST(PrefixReplayTest, ABlockSizeThatDoesNotDivide512IsAnError) {
  SimulationOptions o;
  o.policy = "vllm-v1";
  o.sched.block_size = 24;
  o.sched.max_model_len = 4096;
  o.sched.device_blocks = 1000;
  const CpuCostModel cost = FlatCost();
  auto r = Simulate(Sequential({{600, {1, 2}}}), cost, o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("block size 24 does not divide"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("1, 2, 4, 8, 16, 32, 64, 128, 256, 512 or a multiple of 512"),
            std::string::npos);
}

TEST(PrefixHashesTest, SharedIdsShareBlocksAndCoverageSeparatesPartials) {
  auto a = PrefixBlockHashes(std::vector<int64_t>{5, 6}, 1024, kBs, 512);
  auto b = PrefixBlockHashes(std::vector<int64_t>{5, 7}, 1024, kBs, 512);
  auto c = PrefixBlockHashes(std::vector<int64_t>{5, 6}, 600, kBs, 512);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->size(), 64u);
  EXPECT_EQ(c->size(), 37u);  // 600 / 16 full blocks
  for (int i = 0; i < 32; ++i) EXPECT_EQ((*a)[i], (*b)[i]);
  EXPECT_NE((*a)[32], (*b)[32]);
  EXPECT_EQ((*a)[31], (*c)[31]);
  EXPECT_NE((*a)[32], (*c)[32]);  // id 6 covered 512 vs 88 tokens
}

TEST(PrefixHashesTest, BlocksSpanningSeveralIdsShareOnlyWhenAllAgree) {
  auto a = PrefixBlockHashes(std::vector<int64_t>{1, 2, 3, 4, 5}, 80, 32, 16);
  auto b = PrefixBlockHashes(std::vector<int64_t>{1, 2, 3, 9, 5}, 80, 32, 16);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 2u);  // 80 tokens: two full 32-token blocks
  EXPECT_EQ((*a)[0], (*b)[0]);
  EXPECT_NE((*a)[1], (*b)[1]);
  EXPECT_FALSE(PrefixBlockHashes(std::vector<int64_t>{1}, 16, 24, 16).ok());
}

}  // namespace
}  // namespace cacheopt
