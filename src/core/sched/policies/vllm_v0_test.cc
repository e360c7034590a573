#include "core/sched/policies/vllm_v0.h"

#include "support/harness.h"

namespace cacheopt {
namespace {

using testing::Harness;
using testing::SmallConfig;

TEST(VllmV0Test, PrefillOnlyThenDecodeOnlySteps) {
  Harness h("vllm", SmallConfig(100));
  h.Add(0, 8, 5);
  auto s1 = h.Step();
  EXPECT_EQ(s1.Tokens(0), 8);
  EXPECT_EQ(s1.NumDecodes(), 0);
  auto s2 = h.Step();
  EXPECT_EQ(s2.Tokens(0), 1);
  // A new arrival gets a prefill-only step: the running decode waits.
  h.Add(1, 8, 5);
  auto s3 = h.Step();
  EXPECT_EQ(s3.Tokens(1), 8);
  EXPECT_EQ(s3.Tokens(0), 0);
  auto s4 = h.Step();
  EXPECT_EQ(s4.Tokens(0), 1);
  EXPECT_EQ(s4.Tokens(1), 1);
}

TEST(VllmV0Test, HeadOfLineBlocksSmallerRequestsBehind) {
  // 100 blocks of 4 tokens, watermark 1 block.
  Harness h("vllm", SmallConfig(100));
  h.Add(0, 200, 50);  // 50 blocks
  h.Add(1, 200, 50);  // 50 more: 0 free < watermark -> LATER
  h.Add(2, 4, 5);     // 1 block would fit, but FCFS stops at request 1
  auto s = h.Step();
  EXPECT_EQ(s.Tokens(0), 200);
  EXPECT_EQ(s.Tokens(1), 0);
  EXPECT_EQ(s.Tokens(2), 0);
  EXPECT_EQ(h.sched().num_waiting(), 2u);
}

TEST(VllmV0Test, WatermarkRejectsWhatCanNeverFit) {
  Harness h("vllm", SmallConfig(100));
  h.Add(0, 400, 5);  // 100 blocks: total - need = 0 < watermark 1 -> NEVER
  h.Add(1, 396, 5);  // 99 blocks: fits with the watermark
  auto s = h.Step();
  ASSERT_EQ(s.out.rejected.size(), 1u);
  EXPECT_EQ(s.out.rejected[0], 0);
  EXPECT_EQ(s.Tokens(1), 396);
}

TEST(VllmV0Test, PreemptsNewestByRecomputeToFrontOfWaiting) {
  // 11 blocks of 4 tokens; the watermark keeps 1 block back.
  Harness h("vllm", SmallConfig(11));
  h.Add(0, 16, 100);  // 4 blocks
  h.Add(1, 16, 100);  // 4 blocks
  h.Step();           // both prefilled: 8 of 11 blocks used
  h.Add(2, 8, 100);   // 2 blocks: leaves just the watermark
  auto p = h.Step();
  EXPECT_EQ(p.Tokens(2), 8);
  // Next decode: each needs a fifth block (17 tokens); one is free.
  auto d = h.Step();
  EXPECT_TRUE(d.Preempted(2));  // newest first
  EXPECT_EQ(d.Tokens(0), 1);
  EXPECT_FALSE(d.Preempted(0));
  ASSERT_EQ(d.out.preempted[0].kind, PreemptKind::kRecompute);
  EXPECT_EQ(h.sched().num_waiting(), 1u);
}

TEST(VllmV0Test, SwapModeBlocksNewPrefillsWhileSwapped) {
  auto cfg = SmallConfig(11, 10);
  cfg.preemption_mode = PreemptMode::kSwap;
  Harness h("vllm", cfg);
  h.Add(0, 16, 100);
  h.Add(1, 16, 100);
  h.Step();
  h.Add(2, 8, 100);
  h.Step();
  auto d = h.Step();
  ASSERT_TRUE(d.Preempted(2));
  EXPECT_EQ(d.out.preempted[0].kind, PreemptKind::kSwap);
  EXPECT_EQ(d.out.swap_out.size(), 2u);  // 8 computed tokens -> 2 blocks
  EXPECT_EQ(h.sched().num_swapped(), 1u);
  // A new small request may not prefill while request 2 is swapped out.
  h.Add(3, 4, 5);
  for (int i = 0; i < 3 && h.sched().num_swapped() > 0; ++i) {
    auto s = h.Step();
    EXPECT_EQ(s.Tokens(3), 0);
    EXPECT_EQ(s.NumPrefills(), 0);
  }
}

TEST(VllmV0Test, SwappedRequestResumesWithItsTokens) {
  auto cfg = SmallConfig(11, 10);
  cfg.preemption_mode = PreemptMode::kSwap;
  Harness h("vllm", cfg);
  h.Add(0, 16, 6);
  h.Add(1, 16, 20);
  h.Step();
  h.Add(2, 8, 10);
  h.Step();
  auto d = h.Step();
  ASSERT_TRUE(d.Preempted(2));
  // Request 0 finishes soon and frees blocks; request 2 swaps back in and
  // continues decoding without recomputing.
  bool swapped_in = false;
  for (int i = 0; i < 50 && !swapped_in; ++i) {
    auto s = h.Step();
    if (!s.out.swap_in.empty()) {
      swapped_in = true;
      EXPECT_EQ(s.Tokens(2), 1);
    }
  }
  EXPECT_TRUE(swapped_in);
  h.RunToEnd();
  EXPECT_EQ(h.sched().counters().recomputed_tokens, 0);
  EXPECT_EQ(h.sched().blocks().device_free(), 11);
  EXPECT_EQ(h.sched().blocks().host_free(), 10);
}

TEST(VllmV0Test, TokenBudgetAndMaxSeqsLimitPrefills) {
  auto cfg = SmallConfig(1000);
  cfg.token_budget = 20;
  cfg.max_num_seqs = 2;
  Harness h("vllm", cfg);
  h.Add(0, 8, 5);
  h.Add(1, 8, 5);
  h.Add(2, 8, 5);
  auto s = h.Step();
  EXPECT_EQ(s.Tokens(0), 8);
  EXPECT_EQ(s.Tokens(1), 8);
  EXPECT_EQ(s.Tokens(2), 0);  // 24 > 20 tokens, and 3 > 2 seqs
}

}  // namespace
}  // namespace cacheopt
