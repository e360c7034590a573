// Request groups (RequestSpec::group, OpenAI's `n` > 1): under the policies
// that treat a group as one (vllm as vLLM V0's SequenceGroup, cacheopt) its
// waiting members enter together or not at all and its running members are
// preempted together; the others (vllm-v1, sarathi, reserve-max, s3) schedule
// each member alone, as their upstreams do (docs/baselines.md).
#include <gtest/gtest.h>

#include <vector>

#include "support/harness.h"

namespace cacheopt {
namespace {

using testing::Harness;
using testing::SmallConfig;

SchedulerConfig CacheOptConfig(int32_t blocks) {
  SchedulerConfig c = SmallConfig(blocks);
  c.knobs = {{"reserve_blocks", "0"}, {"estimator", "oracle"}, {"disable", "padding,lending,proactive,slo-batching"}};
  return c;
}

TEST(RequestGroupTest, VllmV0AdmitsAGroupWholeOrNotAtAll) {
  // 20 blocks of 4 tokens, watermark 1 block: one 24-token request (6
  // blocks) runs; a group of three 16-token choices needs 12 more, which
  // leaves 2 free >= the watermark; a group of four needs 16 and waits whole.
  Harness h("vllm", SmallConfig(20));
  h.Add(0, 24, 50);
  h.Step();
  for (int64_t id = 1; id <= 4; ++id) h.Add(id, 16, 50, 1000, nullptr, /*group=*/1);
  auto s = h.Step();
  for (int64_t id = 1; id <= 4; ++id) EXPECT_EQ(s.Tokens(id), 0) << id;
  EXPECT_EQ(h.sched().num_waiting(), 4u);
  // A group of three fits now: all three prefill in one step.
  Harness g("vllm", SmallConfig(20));
  g.Add(0, 24, 50);
  g.Step();
  for (int64_t id = 1; id <= 3; ++id) g.Add(id, 16, 50, 1000, nullptr, /*group=*/1);
  auto t = g.Step();
  for (int64_t id = 1; id <= 3; ++id) EXPECT_EQ(t.Tokens(id), 16) << id;
}

TEST(RequestGroupTest, PoliciesWithoutGroupsAdmitMembersAlone) {
  // The same pool and load: vllm-v1 (n fanned out into independent child
  // requests by ParentRequest) and sarathi (no `n` upstream) let in what fits.
  for (const char* policy : {"vllm-v1", "sarathi"}) {
    Harness h(policy, SmallConfig(20));
    h.Add(0, 24, 50);
    h.Step();
    for (int64_t id = 1; id <= 4; ++id) h.Add(id, 16, 50, 1000, nullptr, /*group=*/1);
    auto s = h.Step();
    int admitted = 0;
    for (int64_t id = 1; id <= 4; ++id) admitted += s.Tokens(id) > 0;
    EXPECT_GT(admitted, 0) << policy;
    EXPECT_LT(admitted, 4) << policy;
  }
}

TEST(RequestGroupTest, VllmV0PreemptsTheWholeGroupBySwapping) {
  // 14 blocks, host tier 20: a single request (4 blocks), then a group of
  // two (4 blocks each) leaves 2 free. When each decode needs a fifth block,
  // the newest (the group's second member) is the victim and its mate
  // leaves with it; a group of several swaps under the default mode, as
  // upstream's _preempt does for multi-sequence groups.
  Harness h("vllm", SmallConfig(14, 20));
  h.Add(0, 16, 100);
  h.Step();
  h.Add(1, 16, 100, 1000, nullptr, 7);
  h.Add(2, 16, 100, 1000, nullptr, 7);
  auto p = h.Step();
  ASSERT_EQ(p.Tokens(1), 16);
  ASSERT_EQ(p.Tokens(2), 16);
  auto d = h.Step();
  EXPECT_TRUE(d.Preempted(1));
  EXPECT_TRUE(d.Preempted(2));
  EXPECT_FALSE(d.Preempted(0));
  EXPECT_EQ(d.Tokens(0), 1);
  for (const PreemptionRecord& q : d.out.preempted) EXPECT_EQ(q.kind, PreemptKind::kSwap);
  EXPECT_EQ(h.sched().num_swapped(), 2u);
  // They come back together and the run drains.
  h.RunToEnd();
  EXPECT_FALSE(h.sched().HasUnfinished());
}

TEST(RequestGroupTest, VllmV0RecomputesAGroupWithoutHostRoom) {
  // No host tier: the group recomputes, whole. Its members' outputs are
  // short (6 blocks each at the end): the group alone fits the pool, so it
  // only ever leaves and comes back whole.
  Harness h("vllm", SmallConfig(14));
  h.Add(0, 16, 100);
  h.Step();
  h.Add(1, 16, 8, 1000, nullptr, 7);
  h.Add(2, 16, 8, 1000, nullptr, 7);
  h.Step();
  auto d = h.Step();
  EXPECT_TRUE(d.Preempted(1));
  EXPECT_TRUE(d.Preempted(2));
  for (const PreemptionRecord& q : d.out.preempted) EXPECT_EQ(q.kind, PreemptKind::kRecompute);
  EXPECT_EQ(h.sched().num_waiting(), 2u);
  // Readmitted together: both prefill again in the same step.
  bool together = false;
  for (int i = 0; i < 400 && h.sched().HasUnfinished(); ++i) {
    const bool live = h.sched().Find(1) != nullptr && h.sched().Find(2) != nullptr;
    auto s = h.Step();
    const bool a = s.Tokens(1) > 1, b = s.Tokens(2) > 1;
    if (live) {
      EXPECT_EQ(a, b) << "step " << i;
    }
    together |= a && b;
  }
  EXPECT_TRUE(together);
  EXPECT_FALSE(h.sched().HasUnfinished());
}

TEST(RequestGroupTest, CacheOptAdmitsAGroupWholeOnItsReservations) {
  // Oracle lengths, no padding: each member reserves prompt + output.
  // 40 blocks: a running request reserves 8 + 4 = 12 (48 tokens); a group of
  // three reserving 12 each needs 36 > 28 left and waits, whole, until it
  // ends; a group of two fits beside it and enters together.
  for (int members : {3, 2}) {
    Harness h("cacheopt", CacheOptConfig(40));
    const Request* first = h.Add(0, 32, 16, 16);
    h.Step();
    std::vector<const Request*> group;
    for (int64_t id = 1; id <= members; ++id) group.push_back(h.Add(id, 32, 16, 16, nullptr, 5));
    bool beside = false;  // the group ran while request 0 still did
    for (int i = 0; i < 200 && h.sched().HasUnfinished(); ++i) {
      h.Step();
      for (const Request* m : group) EXPECT_EQ(m->state, group[0]->state) << members << " members, step " << i;
      beside |= group[0]->state == RequestState::kRunning && first->state == RequestState::kRunning;
    }
    EXPECT_FALSE(h.sched().HasUnfinished());
    EXPECT_EQ(beside, members == 2) << members << " members";
  }
}

TEST(RequestGroupTest, GroupsThatOutgrowThePoolByThemselvesStillDrain) {
  // Three choices whose outputs together outgrow the pool: a member that
  // needs room takes it from its mates one by one (leaving whole, the group
  // would come back whole and outgrow the pool again).
  for (const char* policy : {"vllm", "cacheopt"}) {
    Harness h(policy, SmallConfig(24, 8));
    for (int64_t id = 1; id <= 3; ++id) h.Add(id, 16, 60, 60, nullptr, 3);
    h.RunToEnd(20000);
    EXPECT_FALSE(h.sched().HasUnfinished()) << policy;
    int finished = 0;
    for (const FinishEvent& f : h.finished()) finished += f.record->state == RequestState::kFinished;
    EXPECT_EQ(finished, 3) << policy;
  }
}

}  // namespace
}  // namespace cacheopt
