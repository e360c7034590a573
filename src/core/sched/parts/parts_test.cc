#include <gtest/gtest.h>

#include "cacheopt/cost/linear_cost_model.h"
#include "core/sched/parts/admission.h"
#include "core/sched/parts/chunking.h"
#include "core/sched/parts/preemption.h"
#include "core/sched/parts/reservation.h"

namespace cacheopt {
namespace {

Request Pending(int32_t prompt, int32_t computed = 0) {
  Request r;
  r.spec.prompt_tokens = prompt;
  r.spec.max_tokens = 100;
  r.num_computed = computed;
  return r;
}

TEST(WatermarkAdmissionTest, KeepsTheWatermarkFreeAndRefusesWhatNeverFits) {
  BlockManager blocks(10, 0, 4);
  WatermarkAdmission v0({.watermark_blocks = 2});
  EXPECT_EQ(v0.Check(8, blocks, true), Admit::kNow);    // 2 left: the watermark
  EXPECT_EQ(v0.Check(9, blocks, true), Admit::kNever);  // an empty pool would keep 1 < 2
  const int32_t slot = blocks.NewSlot();
  ASSERT_TRUE(blocks.GrowDevice(slot, 4 * 5));  // 5 blocks held
  EXPECT_EQ(v0.Check(3, blocks, true), Admit::kNow);
  EXPECT_EQ(v0.Check(4, blocks, true), Admit::kLater);
}

TEST(WatermarkAdmissionTest, V1KeepsItsHeadroomOnlyWhileSomethingRuns) {
  BlockManager blocks(10, 0, 4);
  WatermarkAdmission v1({.watermark_blocks = 2, .only_while_running = true, .never_counts_watermark = false});
  EXPECT_EQ(v1.Check(10, blocks, false), Admit::kNow);  // an empty cache takes its first request whole
  EXPECT_EQ(v1.Check(10, blocks, true), Admit::kLater);
  EXPECT_EQ(v1.Check(11, blocks, false), Admit::kNever);
}

TEST(ChunkRuleTest, WholePromptsWaitChunksFillTheBudget) {
  const Request r = Pending(100, 30);  // 70 to go
  EXPECT_EQ(WholePrompt().Tokens(r, 70), 70);
  EXPECT_EQ(WholePrompt().Tokens(r, 69), 0);
  EXPECT_EQ(BudgetChunks().Tokens(r, 50), 50);
  EXPECT_EQ(BudgetChunks().Tokens(r, 500), 70);
  EXPECT_EQ(BudgetChunks(16).Tokens(r, 500), 16);
  EXPECT_LE(BudgetChunks().Tokens(r, -3), 0);  // over budget already (decodes): nothing joins
}

TEST(PreemptKindTest, CheaperOfSwapAndRecomputeRecomputesWithoutAHostTier) {
  LinearCostModel cost;
  BlockManager none(16, 0, 4);
  Request r = Pending(40, 40);
  EXPECT_EQ(CheaperKind(&cost, &none).Kind(r), PreemptKind::kRecompute);
  EXPECT_EQ(FixedKind(PreemptKind::kSwap).Kind(r), PreemptKind::kSwap);
  // 40 tokens: recompute 1 ms + 4 ms; swapping 10 blocks out and back 10 ms.
  BlockManager host(16, 16, 4);
  r.kv_slot = host.NewSlot();
  ASSERT_TRUE(host.GrowDevice(r.kv_slot, 40));
  EXPECT_EQ(CheaperKind(&cost, &host).Kind(r), PreemptKind::kRecompute);
}

TEST(VictimOrderTest, NewestAdmittedFirst) {
  Request a, b;
  a.admit_seq = 1;
  b.admit_seq = 7;
  std::vector<VictimCandidate> c = {{&a, 0, 0}, {&b, 0, 0}};
  NewestAdmittedFirst().Order(&c);
  EXPECT_EQ(c.front().req, &b);
}

TEST(ReservationTest, MaxTokensCoversTheCapBucketsDouble) {
  SchedulerConfig config;
  config.max_model_len = 4096;
  BlockManager blocks(1000, 0, 16);
  Request r = Pending(100);
  r.spec.max_tokens = 300;
  EXPECT_EQ(MaxTokensReservation().Blocks(&r, config, blocks), blocks.BlocksFor(400));
  EXPECT_EQ(BucketReservation::BucketEdge(10, 300), 64);
  EXPECT_EQ(BucketReservation::BucketEdge(65, 300), 128);
  EXPECT_EQ(BucketReservation::BucketEdge(1000, 300), 300);
  EstimatorOptions eo;
  eo.name = "history";
  auto est = MakeEstimator(eo);
  ASSERT_TRUE(est.ok()) << est.status().message();
  BucketReservation s3(std::move(*est));
  const int32_t first = s3.Blocks(&r, config, blocks);
  EXPECT_EQ(first, blocks.BlocksFor(100 + static_cast<int64_t>(r.padded_output)));
  const double bucket = r.padded_output;
  EXPECT_TRUE(s3.OnOverrun(&r));
  EXPECT_EQ(r.padded_output, std::min(2 * bucket, 300.0));
}

}  // namespace
}  // namespace cacheopt
