#include <gtest/gtest.h>

#include "cacheopt/cost/linear_cost_model.h"
#include "core/preempt/swap_or_recompute.h"
#include "core/preempt/victim_order.h"
#include "exec/sim/fixed_step_executor.h"

namespace cacheopt {
namespace {

Request MakeReq(int64_t id, SloClass c, int32_t preemptions, int64_t admit) {
  Request r;
  r.spec.id = id;
  r.spec.slo_class = c;
  r.preemptions_recompute = preemptions;
  r.admit_seq = admit;
  return r;
}

std::vector<int64_t> Ids(const std::vector<VictimCandidate>& c) {
  std::vector<int64_t> ids;
  for (const auto& x : c) ids.push_back(x.req->spec.id);
  return ids;
}

TEST(VictimOrderTest, ClassThenRemainingTimeThenCostThenStarvationGuard) {
  Request tight = MakeReq(0, SloClass::kTight, 0, 0);
  Request loose_short = MakeReq(1, SloClass::kLoose, 0, 1);
  Request loose_long = MakeReq(2, SloClass::kLoose, 0, 2);
  Request medium_cheap = MakeReq(3, SloClass::kMedium, 0, 3);
  Request medium_dear = MakeReq(4, SloClass::kMedium, 0, 4);
  Request loose_spent = MakeReq(5, SloClass::kLoose, 2, 5);  // at max_preemptions
  std::vector<VictimCandidate> c = {
      {&tight, 9.0, 0.1},        {&loose_short, 1.0, 0.1}, {&loose_long, 5.0, 0.1},
      {&medium_cheap, 2.0, 0.1}, {&medium_dear, 2.0, 0.5}, {&loose_spent, 99.0, 0.0},
  };
  OrderVictims(&c, /*max_preemptions=*/2);
  EXPECT_EQ(Ids(c), (std::vector<int64_t>{2, 1, 3, 4, 0, 5}));
  // Only when nobody else is left is the spent request chosen.
  std::vector<VictimCandidate> only = {{&loose_spent, 1.0, 0.1}};
  OrderVictims(&only, 2);
  EXPECT_EQ(only[0].req, &loose_spent);
}

TEST(VictimOrderTest, NewestFirstWhenSwitchedOff) {
  Request a = MakeReq(0, SloClass::kLoose, 0, 7);
  Request b = MakeReq(1, SloClass::kTight, 0, 9);
  std::vector<VictimCandidate> c = {{&a, 1, 1}, {&b, 1, 1}};
  OrderNewestFirst(&c);
  EXPECT_EQ(Ids(c), (std::vector<int64_t>{1, 0}));
}

TEST(SwapOrRecomputeTest, FlipsAtTheCrossoverTheCostModelPredicts) {
  // Linear model: swap out and back = 2 x 0.5 ms per block; recompute =
  // 1 ms + 0.1 ms per token. With 4-token blocks: swap 0.25 ms/token, so the
  // crossover is at 1 ms / 0.15 ms = 6.7 tokens.
  LinearCostModel cost;
  Request r;
  r.spec.prompt_tokens = 4;  // 1 block: swap 1.0 ms < recompute 1.4 ms
  auto small = EstimatePreemptionCost(cost, r, 1, 100, 4);
  EXPECT_NEAR(small.swap_s, 1e-3, 1e-12);
  EXPECT_NEAR(small.recompute_s, 1.4e-3, 1e-12);
  EXPECT_EQ(small.Cheaper(), PreemptKind::kSwap);
  r.spec.prompt_tokens = 8;  // 2 blocks: swap 2.0 ms > recompute 1.8 ms
  EXPECT_EQ(EstimatePreemptionCost(cost, r, 2, 100, 4).Cheaper(), PreemptKind::kRecompute);
  // A full host tier rules the swap out.
  r.spec.prompt_tokens = 4;
  EXPECT_EQ(EstimatePreemptionCost(cost, r, 1, 0, 4).Cheaper(), PreemptKind::kRecompute);
}

TEST(SwapOrRecomputeTest, ACachedPrefixMakesRecomputeCheap) {
  // 40 tokens in 10 blocks: swap 10 ms; recompute 1 + 4 = 5 ms, or with 32
  // tokens still cached only 8 to prefill over them: 1 + 0.8 + 0.032 ms
  // (the linear model: 0.1 ms per new token, 1 us per token of context).
  LinearCostModel cost;
  Request r;
  r.spec.prompt_tokens = 40;
  const PreemptionCost plain = EstimatePreemptionCost(cost, r, 10, 100, 4);
  const PreemptionCost cached = EstimatePreemptionCost(cost, r, 10, 100, 4, 32);
  EXPECT_NEAR(plain.recompute_s, 5e-3, 1e-12);
  EXPECT_NEAR(cached.recompute_s, 1.832e-3, 1e-12);
  EXPECT_DOUBLE_EQ(cached.swap_s, plain.swap_s);  // a swap copies every block, shared or not
  // Everything cached: one token is still computed, over the other 39.
  EXPECT_NEAR(EstimatePreemptionCost(cost, r, 10, 100, 4, 40).recompute_s, 1.139e-3, 1e-12);
}

}  // namespace
}  // namespace cacheopt
