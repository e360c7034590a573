// CacheOPT's mechanisms, each against its rule (CACHEOPT.md C2-C5). Before 20
// requests have finished, the history estimator predicts its prior (256
// tokens) and conformal padding adds nothing (no residuals yet), so with
// 4-token blocks a request with a 4-token prompt reserves blocks(260) = 65.
#include "core/sched/policies/cacheopt.h"

#include <algorithm>

#include "support/harness.h"

namespace cacheopt {
namespace {

using testing::Harness;
using testing::SmallConfig;

SchedulerConfig Config(int32_t blocks, std::map<std::string, std::string> knobs) {
  SchedulerConfig c = SmallConfig(blocks);
  c.knobs = std::move(knobs);
  return c;
}

TEST(CacheOptTest, AdmissionNeverUsesTheGlobalReserve) {
  // 200 blocks, 80 reserved: two 65-block reservations (130) exceed the 120
  // admission may use, though 198 blocks are physically free.
  Harness h("cacheopt", Config(200, {{"reserve_blocks", "80"}, {"lending", "off"}}));
  h.Add(0, 4, 500);
  h.Add(1, 4, 500);
  auto s = h.Step();
  EXPECT_EQ(s.Tokens(0), 4);
  EXPECT_EQ(s.Tokens(1), 0);
  // Without the reserve both fit.
  Harness free("cacheopt", Config(200, {{"reserve_blocks", "0"}, {"lending", "off"}}));
  free.Add(0, 4, 500);
  free.Add(1, 4, 500);
  auto t = free.Step();
  EXPECT_EQ(t.Tokens(1), 4);
}

// Two hosts reserve 65 blocks each (130 of 132); a guest with max_tokens 16
// reserves blocks(4 + 16) = 5. After one decode each host holds 2 blocks
// (5 tokens + 2 preallocated), so its unused tail is 63 and the guest's life
// of 16 steps costs the host ceil(16/4) = 4 blocks: 63 - 4 - 0 = 59 must be
// >= 5 + lend_buffer_blocks.
struct LendingCase {
  std::unique_ptr<Harness> h;
  Request* a;
  Request* guest;
};

LendingCase Lend(const std::string& buffer) {
  LendingCase c;
  c.h = std::make_unique<Harness>(
      "cacheopt", Config(132, {{"reserve_blocks", "0"}, {"lending", "pairwise"}, {"lend_buffer_blocks", buffer}}));
  c.a = c.h->Add(0, 4, 500);
  c.h->Add(1, 4, 500);
  c.h->Step();
  c.guest = c.h->Add(2, 4, 10, /*max_tokens=*/16);
  return c;
}

TEST(CacheOptTest, PairwiseLendingAdmitsExactlyWhenItsRuleHolds) {
  auto yes = Lend("54");  // 59 >= 5 + 54
  auto s = yes.h->Step();
  EXPECT_EQ(s.Tokens(2), 4);
  EXPECT_EQ(yes.guest->lender, yes.a);
  EXPECT_EQ(yes.a->lent_blocks, 5);
  EXPECT_EQ(yes.a->guests, 1);

  auto no = Lend("55");  // 59 < 5 + 55
  auto t = no.h->Step();
  EXPECT_EQ(t.Tokens(2), 0);
  // The monitoring gauge counts the outstanding loan.
  EXPECT_EQ(yes.h->sched().LentBlocks(), 5);
  EXPECT_EQ(no.h->sched().LentBlocks(), 0);
}

TEST(CacheOptTest, ReserveInUseIsPhysicalUseBeyondTheAdmissiblePool) {
  // 100 blocks, 20 reserved: one request reserving 65 grows to 84 blocks
  // (334 tokens), 4 of them from the reserve.
  Harness h("cacheopt", Config(100, {{"reserve_blocks", "20"}, {"lending", "off"}}));
  h.Add(0, 4, 330);
  int32_t most = 0;
  for (int i = 0; i < 400 && h.sched().HasUnfinished(); ++i) {
    h.Step();
    const BlockManager& b = h.sched().blocks();
    const int32_t used = b.device_total() - b.device_free();
    EXPECT_EQ(h.sched().ReserveBlocksInUse(), std::clamp(used - 80, 0, 20)) << i;
    most = std::max<int32_t>(most, static_cast<int32_t>(h.sched().ReserveBlocksInUse()));
    EXPECT_EQ(h.sched().LentBlocks(), 0);
  }
  EXPECT_GT(most, 0);
}

TEST(CacheOptTest, LoanReturnsWhenTheGuestFinishes) {
  auto c = Lend("8");
  for (int i = 0; i < 40 && c.guest->state != RequestState::kFinished; ++i) c.h->Step();
  // The guest ended (10 tokens): the host has its tail back.
  EXPECT_EQ(c.a->lent_blocks, 0);
  EXPECT_EQ(c.a->guests, 0);
}

}  // namespace

// Reaches the private preemption path, as a shortage would.
struct CacheOptTestPeer {
  static void Preempt(Scheduler& s, Request* victim) {
    SchedulerOutput out;
    static_cast<CacheOptScheduler&>(s).PreemptRequest(victim, /*ahead=*/false, &out);
  }
};

namespace {

TEST(CacheOptTest, LoanBecomesAnOrdinaryReservationWhenTheHostIsPreempted) {
  auto c = Lend("8");
  c.h->Step();
  ASSERT_EQ(c.guest->lender, c.a);
  CacheOptTestPeer::Preempt(c.h->sched(), c.a);
  // The guest keeps its reservation, now its own: no host, nothing lent.
  EXPECT_EQ(c.guest->lender, nullptr);
  EXPECT_EQ(c.guest->reserved_blocks, 5);
  EXPECT_EQ(c.a->lent_blocks, 0);
  EXPECT_EQ(c.a->guests, 0);
  EXPECT_NE(c.a->state, RequestState::kRunning);
  EXPECT_TRUE(c.h->sched().CheckInvariants().ok());
  // Everyone still finishes.
  c.h->RunToEnd();
  EXPECT_EQ(c.guest->state, RequestState::kFinished);
  EXPECT_EQ(c.a->state, RequestState::kFinished);
}

TEST(CacheOptTest, PreemptingAGroupMemberPreemptsItsRunningMates) {
  SchedulerConfig c = SmallConfig(200);
  c.knobs = {{"reserve_blocks", "0"}};
  Harness h("cacheopt", c);
  h.Add(0, 16, 50, 60);
  Request* a = h.Add(1, 16, 50, 60, nullptr, /*group=*/1);
  Request* b = h.Add(2, 16, 50, 60, nullptr, /*group=*/1);
  h.Step();
  h.Step();
  ASSERT_EQ(a->state, RequestState::kRunning);
  ASSERT_EQ(b->state, RequestState::kRunning);
  CacheOptTestPeer::Preempt(h.sched(), a);
  EXPECT_NE(a->state, RequestState::kRunning);
  EXPECT_NE(b->state, RequestState::kRunning);  // its mate left with it
  EXPECT_EQ(h.sched().Find(0)->state, RequestState::kRunning);
  EXPECT_TRUE(h.sched().CheckInvariants().ok());
  // They come back together and everyone finishes.
  h.Step();
  EXPECT_EQ(a->state, b->state);
  h.RunToEnd();
  EXPECT_EQ(a->state, RequestState::kFinished);
  EXPECT_EQ(b->state, RequestState::kFinished);
}

TEST(CacheOptTest, PeakLendingProjectsUsage) {
  // Hosts peak at 2 x blocks(4 + 256 - 2) = 130 blocks just before they end;
  // the guest is long gone by then, so 132 blocks suffice and 129 do not.
  for (auto [blocks, admitted] : {std::pair{132, true}, std::pair{129, false}}) {
    Harness h("cacheopt", Config(blocks, {{"reserve_blocks", "0"}, {"lending", "peak"}}));
    h.Add(0, 4, 500);
    h.Add(1, 4, 500);
    h.Step();
    h.Add(2, 4, 10, 16);
    EXPECT_EQ(h.Step().Tokens(2) > 0, admitted) << blocks;
    // Promised beyond the pool: 65 + 65 + 5 reserved of 132.
    if (admitted) {
      EXPECT_EQ(h.sched().LentBlocks(), 3);
    }
  }
}

// Steps until request 0 holds 3 blocks; returns that step's index.
int StepOfThirdBlock(const std::string& k) {
  Harness h("cacheopt", Config(100, {{"preallocate_iterations", k}}));
  Request* r = h.Add(0, 4, 50);
  for (int step = 0; step < 20; ++step) {
    h.Step();
    if (r->kv_slot >= 0 && h.sched().blocks().table(r->kv_slot).device.size() >= 3) return step;
  }
  return -1;
}

TEST(CacheOptTest, ProactiveAllocationRunsTheConfiguredStepsEarly) {
  int plain = StepOfThirdBlock("0");
  ASSERT_GT(plain, 0);
  EXPECT_EQ(StepOfThirdBlock("2"), plain - 2);
  EXPECT_EQ(StepOfThirdBlock("3"), plain - 3);
}

// One request runs at a time; a lost cause (TTFT SLO 0) and a request with
// slack wait. Returns whether the one with slack got its first token first.
bool SlackServedFirst(const std::string& late_last) {
  Harness h("cacheopt", Config(100, {{"max_num_seqs", "1"}, {"late_last", late_last}}));
  h.Add(0, 4, 20);
  h.Step();
  Request* lost = h.Add(1, 4, 5);
  lost->spec.ttft_slo_s = 0;
  h.Step();
  Request* slack = h.Add(2, 4, 5);
  slack->spec.ttft_slo_s = 1000;
  h.RunToEnd();
  return slack->first_token_s < lost->first_token_s;
}

TEST(CacheOptTest, LateLastServesRequestsThatCanStillMeetTheirSloFirst) {
  EXPECT_FALSE(SlackServedFirst("0"));  // least slack first: the lost cause
  EXPECT_TRUE(SlackServedFirst("1"));
}

TEST(CacheOptTest, BadKnobsAreRejectedByName) {
  SchedulerConfig c = SmallConfig(10);
  LinearCostModel cost;
  c.knobs = {{"lending", "sometimes"}};
  auto a = MakeScheduler("cacheopt", c, &cost);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("pairwise"), std::string::npos);
  c.knobs = {{"disable", "padding,teleport"}};
  auto b = MakeScheduler("cacheopt", c, &cost);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("slo-batching"), std::string::npos);
  c.knobs = {{"alpha", "2"}};
  auto d = MakeScheduler("cacheopt", c, &cost);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("alpha"), std::string::npos);
}

// Two ongoing prefills, A (resumed from a swap-out) then B (admitted after);
// A's next chunk finds the pool full and C4 takes B, the newest, as the
// victim. The loop over ongoing chunks then reached B and gave it a chunk
// though it was no longer running: blocks for a waiting request, fed to the
// executor (found by the engine soak, docs/soak.md).
TEST(CacheOptTest, AVictimOfAnEarlierChunkGetsNoChunkOfItsOwn) {
  // 7 blocks of 4 tokens, 8-token chunks, newest-first victims, no reserve.
  SchedulerConfig c = Config(7, {{"reserve_blocks", "0"},
                                 {"disable", "victim"},
                                 {"min_prefill_chunk", "8"},
                                 {"urgent_chunk", "8"},
                                 {"preallocate_iterations", "0"}});
  c.host_blocks = 7;
  c.token_budget = 8;
  Harness h("cacheopt", c);
  Request* a = h.Add(0, 24, 1, /*max_tokens=*/1);  // reserves blocks(25) = 7: the whole pool
  Request* b = h.Add(1, 9, 1, /*max_tokens=*/1);
  h.Step();  // A's first chunk: 8 tokens, 2 blocks
  ASSERT_EQ(a->num_computed, 8);
  CacheOptTestPeer::Preempt(h.sched(), a);  // swapped: cheaper than recomputing 24 tokens
  ASSERT_EQ(a->state, RequestState::kSwapped);
  // A resumes (1 token, 3 blocks); B enters on peak lending, 8 of its 9 tokens.
  auto s1 = h.Step();
  ASSERT_EQ(s1.Tokens(0), 1);
  ASSERT_EQ(s1.Tokens(1), 8);
  h.Step();  // A: 8 more tokens (5 blocks), B waits for the budget: the pool is full
  ASSERT_EQ(h.sched().blocks().device_free(), 0);
  // A's last 7 tokens need a 6th block: B is preempted (recompute is cheaper
  // for 9 tokens), and must not run in this step.
  auto s3 = h.Step();  // Harness::Step checks the invariants
  EXPECT_EQ(s3.Tokens(0), 7);
  EXPECT_TRUE(s3.Preempted(1));
  EXPECT_EQ(s3.Tokens(1), 0);
  EXPECT_EQ(b->state, RequestState::kWaiting);
  EXPECT_EQ(b->kv_slot, -1);
  h.RunToEnd();
  EXPECT_EQ(b->state, RequestState::kFinished);
  EXPECT_EQ(h.sched().blocks().device_free(), 7);
}

// The predicted time of a step's plan under the harness's cost model.
double PlannedStepTime(const testing::StepView& v) {
  std::vector<SeqWork> w;
  for (const ScheduledSeq& q : v.out.seqs) w.push_back({q.num_tokens, q.context_before});
  return LinearCostModel().StepTime(w);
}

// A decodes under a 10 ms TBT SLO while B's 3000-token prompt is chunked
// beside it. Each chunk attends to what B has computed so far, so a late
// chunk costs more than a first one; the budget must price that, or every
// late step overruns A's SLO (it did: llama-3-8b steps of 60-68 ms against a
// 60 ms tight SLO, issue 13).
TEST(CacheOptTest, PrefillBudgetPricesTheChunksContext) {
  Harness h("cacheopt", Config(4000, {{"min_prefill_chunk", "1"}, {"urgent_chunk", "1"}}));
  Request* a = h.Add(0, 4, 2000, 2000);
  a->spec.tbt_slo_s = 0.01;
  a->spec.ttft_slo_s = 1e9;
  h.Step();  // A's prompt
  Request* b = h.Add(1, 3000, 2, 2);
  b->spec.tbt_slo_s = 1;
  b->spec.ttft_slo_s = 1e9;
  int late_chunks = 0;
  while (b->num_output == 0) {
    auto v = h.Step();
    ASSERT_GT(v.Tokens(0), 0);
    EXPECT_LE(PlannedStepTime(v), 0.01 + 1e-12) << "B at " << b->num_computed;
    late_chunks += b->num_computed > 2000;
  }
  EXPECT_GT(late_chunks, 0);
}

// gap_guard: a floor (min_prefill_chunk) beyond the tightest SLO is paid only
// by decodes that can afford one more late gap; A expects 5 tokens, so it has
// none (gap_allowance.h) and the floor is cut to its SLO. Without the guard
// the floor wins.
TEST(CacheOptTest, GapGuardCutsFloorsForRequestsWithoutAllowance) {
  for (const char* guard : {"1", "0"}) {
    Harness h("cacheopt", Config(4000, {{"min_prefill_chunk", "400"}, {"gap_guard", guard}}));
    Request* a = h.Add(0, 4, 2000, 2000);
    a->spec.tbt_slo_s = 0.01;
    a->spec.ttft_slo_s = 1e9;
    a->predicted_output = 5;
    h.Step();
    Request* b = h.Add(1, 1000, 2, 2);
    b->spec.tbt_slo_s = 1;
    b->spec.ttft_slo_s = 1e9;
    auto v = h.Step();
    if (*guard == '1') {
      EXPECT_LE(PlannedStepTime(v), 0.01 + 1e-12);
      EXPECT_LT(v.Tokens(1), 400);
    } else {
      EXPECT_EQ(v.Tokens(1), 400);
      EXPECT_GT(PlannedStepTime(v), 0.01);
    }
  }
}

}  // namespace
}  // namespace cacheopt
