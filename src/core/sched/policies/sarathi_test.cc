#include "core/sched/policies/sarathi.h"

#include "support/harness.h"

namespace cacheopt {
namespace {

using testing::Harness;
using testing::SmallConfig;

TEST(SarathiTest, DecodesThenOngoingChunksThenNewPrefills) {
  auto cfg = SmallConfig(1000);
  cfg.token_budget = 16;
  Harness h("sarathi", cfg);
  h.Add(0, 8, 50);
  EXPECT_EQ(h.Step().Tokens(0), 8);
  h.Add(1, 30, 50);
  auto s2 = h.Step();
  EXPECT_EQ(s2.Tokens(0), 1);
  EXPECT_EQ(s2.Tokens(1), 15);
  h.Add(2, 10, 50);
  auto s3 = h.Step();
  EXPECT_EQ(s3.Tokens(0), 1);   // decode first
  EXPECT_EQ(s3.Tokens(1), 15);  // the ongoing prefill finishes
  EXPECT_EQ(s3.Tokens(2), 0);   // no budget left for the new one
  auto s4 = h.Step();
  EXPECT_EQ(s4.Tokens(0), 1);
  EXPECT_EQ(s4.Tokens(1), 1);
  EXPECT_EQ(s4.Tokens(2), 10);
}

TEST(SarathiTest, AllocatesWholePromptAtAdmission) {
  auto cfg = SmallConfig(100);
  cfg.token_budget = 8;
  Harness h("sarathi", cfg);
  h.Add(0, 40, 5);  // 10 blocks taken at once though only 8 tokens run
  auto s = h.Step();
  EXPECT_EQ(s.Tokens(0), 8);
  EXPECT_EQ(h.sched().blocks().device_free(), 90);
}

TEST(SarathiTest, PreemptsNewestByRecompute) {
  auto cfg = SmallConfig(10);
  Harness h("sarathi", cfg);
  h.Add(0, 16, 100);
  h.Add(1, 16, 100);
  testing::StepView d;
  for (int i = 0; i < 12 && d.out.preempted.empty(); ++i) d = h.Step();
  ASSERT_EQ(d.out.preempted.size(), 1u);
  EXPECT_TRUE(d.Preempted(1));
  EXPECT_EQ(d.out.preempted[0].kind, PreemptKind::kRecompute);
  EXPECT_EQ(d.Tokens(0), 1);
}

// Every decode needs one free block (can_append_slot), so a request holding
// the whole pool can never decode: it preempts itself, re-prefills in chunks
// and, when a chunk leaves a 1-token tail (handled as a decode), preempts
// itself again, forever. The 1-block floor of the watermark prevents that; an
// explicit watermark of 0 skipped the floor (found by the engine soak,
// docs/soak.md: a 4-block pool, chunks of 5).
TEST(SarathiTest, WatermarkZeroStillKeepsABlockSoNoRequestPreemptsItselfForever) {
  auto cfg = SmallConfig(4);  // 4 blocks of 4 tokens
  cfg.token_budget = 5;
  cfg.knobs["watermark"] = "0";
  Harness h("sarathi", cfg);
  h.Add(0, 11, 1000);  // grows until it cannot fit: must end (rejected), not loop
  int steps = h.RunToEnd(10000);
  EXPECT_FALSE(h.sched().HasUnfinished()) << "still running after " << steps << " steps";
  EXPECT_EQ(h.sched().blocks().device_free(), 4);
}

}  // namespace
}  // namespace cacheopt
