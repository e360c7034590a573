#include "sim/cluster/router.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace cacheopt {
namespace {

std::unique_ptr<Router> Make(const std::string& spec, int replicas, uint64_t seed = 1) {
  auto r = MakeRouter(spec, replicas, seed);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? std::move(*r) : nullptr;
}

RouteRequest Req(int64_t id, const std::vector<BlockHash>& hashes = {}) {
  return {id, static_cast<int32_t>(hashes.size() * 16), hashes};
}

void Scrape(Router& r, const std::vector<ScrapedMetrics>& m) {
  for (size_t i = 0; i < m.size(); ++i) r.OnScrape(static_cast<int>(i), m[i]);
}

TEST(RouterTest, RoundRobinTakesTurnsAndReadsNothing) {
  auto r = Make("round-robin", 3);
  EXPECT_EQ(r->scrape_interval_s(), 0);
  EXPECT_FALSE(r->wants_kv_events());
  std::vector<int> picks;
  for (int i = 0; i < 7; ++i) picks.push_back(r->Pick(Req(i)));
  EXPECT_THAT(picks, ::testing::ElementsAre(0, 1, 2, 0, 1, 2, 0));
}

TEST(RouterTest, LeastRequestsCountsItsOwnInFlight) {
  auto r = Make("least-requests", 3);
  EXPECT_EQ(r->scrape_interval_s(), 0);  // it scrapes nothing
  EXPECT_EQ(r->Pick(Req(0)), 0);
  EXPECT_EQ(r->Pick(Req(1)), 1);
  EXPECT_EQ(r->Pick(Req(2)), 2);
  r->OnResponseDone(1, 1);  // replica 1 now has none in flight
  EXPECT_EQ(r->Pick(Req(3)), 1);
  r->OnResponseDone(0, 0);
  r->OnResponseDone(2, 2);  // 0: 0, 1: 1, 2: 0 -> the first tie after the last pick (1)
  EXPECT_EQ(r->Pick(Req(4)), 2);
  EXPECT_EQ(r->Pick(Req(5)), 0);
}

TEST(RouterTest, LeastconnWeighsConnectionsByTheAgentWeight) {
  auto r = Make("leastconn", 2);
  EXPECT_EQ(r->scrape_interval_s(), 2.0);  // HAProxy's default inter
  // Replica 0 reports 3 waiting with full KV (up 13%), replica 1 idle (up 100%).
  Scrape(*r, {{3, 10, 1.0}, {0, 0, 0.0}});
  std::vector<int> picks;
  for (int i = 0; i < 10; ++i) picks.push_back(r->Pick(Req(i)));
  // Keys: inflight x 4096 / (pct x 16). Both start at 0; replica 0 was
  // re-queued by its weight change, so 1 first; then 0 (key 0); then 1
  // while its key (4096 n / 1600) stays under 0's 19: n = 1..7.
  EXPECT_THAT(picks, ::testing::ElementsAre(1, 0, 1, 1, 1, 1, 1, 1, 1, 0));
  EXPECT_EQ(r->Pick(Req(10)), 1);  // 0 holds 2 (key 39), 1 holds 8 (key 20)
  // Equal reports: plain leastconn.
  Scrape(*r, {{0, 0, 0.0}, {0, 0, 0.0}});
  for (int i = 0; i < 9; ++i) r->OnResponseDone(1, i);  // 0: 2, 1: 0 in flight
  EXPECT_EQ(r->Pick(Req(11)), 1);
  EXPECT_EQ(r->Pick(Req(12)), 1);
}

TEST(RouterTest, InferenceExtensionScoresQueueAndKvWithTheirDefaultWeights) {
  auto r = Make("inference-extension", 3);
  EXPECT_DOUBLE_EQ(r->scrape_interval_s(), 0.05);
  // Queue scores 0, 1, 1; KV scores 0.8, 0.1, 0.9: totals 1.6, 2.2, 3.8.
  Scrape(*r, {{5, 1, 0.2}, {0, 1, 0.9}, {0, 1, 0.1}});
  EXPECT_EQ(r->Pick(Req(0)), 2);
  // Replica 1 frees its KV: 2 + 2 x 1.0 = 4 beats replica 2's 3.8 without prefix.
  Scrape(*r, {{5, 1, 0.2}, {0, 1, 0.0}, {0, 1, 0.1}});
  EXPECT_EQ(r->Pick(Req(1)), 1);
}

TEST(RouterTest, InferenceExtensionApproximatePrefixAffinity) {
  auto r = Make("inference-extension", 2);
  Scrape(*r, {{0, 0, 0.0}, {0, 0, 0.0}});
  const int first = r->Pick(Req(0, {11, 12, 13}));
  // The other replica is now slightly better on KV; the shared prefix
  // (model, 11, 12 of model, 11, 12, 14: 3/4 x weight 3) outweighs it.
  std::vector<ScrapedMetrics> m(2, ScrapedMetrics{0, 0, 0.3});
  m[1 - first].kv_use = 0.0;
  Scrape(*r, m);
  EXPECT_EQ(r->Pick(Req(1, {11, 12, 14})), first);
  // It never hears of evictions: the affinity stays (approximate).
  EXPECT_EQ(r->Pick(Req(2, {11, 12})), first);
}

TEST(RouterTest, PrecisePrefixFollowsKvEvents) {
  auto r = Make("precise-prefix", 3);
  EXPECT_TRUE(r->wants_kv_events());
  Scrape(*r, {{0, 0, 0.0}, {0, 0, 0.0}, {0, 0, 0.0}});
  auto stored = [&](int rep, BlockHash h) { r->OnKvEvent(rep, {KvCacheEvent::Kind::kBlockStored, h}); };
  auto removed = [&](int rep, BlockHash h) { r->OnKvEvent(rep, {KvCacheEvent::Kind::kBlockRemoved, h}); };
  stored(1, 11);
  stored(1, 12);
  stored(1, 13);
  stored(0, 11);
  stored(2, 12);  // not a leading run: counts nothing
  // Runs 1, 3, 0: replica 1 scores 1, replica 0 scores 0 (min-max among 0 and 1).
  EXPECT_EQ(r->Pick(Req(0, {11, 12, 13, 14})), 1);
  removed(1, 11);  // replica 1's run is gone; replica 0 alone has a run
  EXPECT_EQ(r->Pick(Req(1, {11, 12, 13, 14})), 0);
  // Load still counts: a long queue and full KV on 0 outweigh its prefix (3 vs 2 + 2).
  Scrape(*r, {{4, 0, 1.0}, {0, 0, 0.0}, {0, 0, 0.0}});
  EXPECT_NE(r->Pick(Req(2, {11, 12, 13, 14})), 0);
}

TEST(RouterTest, TiesAreBrokenBySeededDraws) {
  auto a = Make("inference-extension", 4, 7);
  auto b = Make("inference-extension", 4, 7);
  std::vector<int> pa, pb;
  for (int i = 0; i < 20; ++i) {
    pa.push_back(a->Pick(Req(i)));
    pb.push_back(b->Pick(Req(i)));
  }
  EXPECT_EQ(pa, pb);
  std::sort(pa.begin(), pa.end());
  EXPECT_NE(pa.front(), pa.back());  // not always the same replica
}

TEST(RouterTest, BadNamesCountsAndKnobsAreNamed) {
  auto unknown = MakeRouter("random", 2, 0);
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.status().message(), ::testing::HasSubstr("unknown router 'random'"));
  EXPECT_THAT(unknown.status().message(),
              ::testing::HasSubstr("round-robin, least-requests, leastconn, inference-extension, precise-prefix"));
  auto zero = MakeRouter("round-robin", 0, 0);
  ASSERT_FALSE(zero.ok());
  EXPECT_THAT(zero.status().message(), ::testing::HasSubstr("--replicas must be in [1, 64], got 0"));
  auto knob = MakeRouter("leastconn:inter=1", 2, 0);
  ASSERT_FALSE(knob.ok());
  EXPECT_THAT(knob.status().message(), ::testing::HasSubstr("unknown router leastconn knob 'inter'; valid: agent_inter_s"));
  auto none = MakeRouter("round-robin:x=1", 2, 0);
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(none.status().message(), ::testing::HasSubstr("takes no knobs"));
  auto range = MakeRouter("inference-extension:refresh_s=-1", 2, 0);
  ASSERT_FALSE(range.ok());
  EXPECT_THAT(range.status().message(), ::testing::HasSubstr("refresh_s must be a number in"));
  auto ok = MakeRouter("leastconn:agent_inter_s=0.5", 2, 0);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)->scrape_interval_s(), 0.5);
}

}  // namespace
}  // namespace cacheopt
