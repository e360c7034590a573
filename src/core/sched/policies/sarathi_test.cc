#include "core/sched/policies/sarathi.h"

#include "core/testing/harness.h"

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

}  // namespace
}  // namespace cacheopt
