#include "core/sched/policies/vllm_v1.h"

#include "cacheopt/policy_registry.h"
#include "core/sched/scheduler.h"
#include "support/harness.h"

namespace cacheopt {
namespace {

using testing::Harness;
using testing::SmallConfig;

TEST(VllmV1Test, MixesDecodesAndChunkedPrefillUnderOneBudget) {
  auto cfg = SmallConfig(1000);
  cfg.token_budget = 16;
  Harness h("vllm-v1", cfg);
  h.Add(0, 8, 50);
  auto s1 = h.Step();
  EXPECT_EQ(s1.Tokens(0), 8);
  h.Add(1, 40, 50);
  auto s2 = h.Step();
  EXPECT_EQ(s2.Tokens(0), 1);   // running first
  EXPECT_EQ(s2.Tokens(1), 15);  // the rest of the budget, as a chunk
  auto s3 = h.Step();
  EXPECT_EQ(s3.Tokens(0), 1);
  EXPECT_EQ(s3.Tokens(1), 15);
  auto s4 = h.Step();
  EXPECT_EQ(s4.Tokens(1), 10);  // the last chunk emits the first token
  EXPECT_TRUE(s4.out.seqs[1].emits_token);
}

TEST(VllmV1Test, PreemptsNewestAndAdmitsNothingThatStep) {
  Harness h("vllm-v1", SmallConfig(10));
  h.Add(0, 16, 100);
  h.Add(1, 16, 100);
  h.Step();  // 8 of 10 blocks
  // Decodes grow both to 5 blocks, then the next block is not there.
  testing::StepView d;
  for (int i = 0; i < 10 && d.out.preempted.empty(); ++i) {
    if (i == 4) h.Add(2, 4, 100);  // waits: the pool is full
    d = h.Step();
  }
  ASSERT_EQ(d.out.preempted.size(), 1u);
  EXPECT_TRUE(d.Preempted(1));  // the newest
  EXPECT_EQ(d.out.preempted[0].kind, PreemptKind::kRecompute);
  EXPECT_EQ(d.Tokens(0), 1);
  EXPECT_EQ(d.NumPrefills(), 0);  // no admissions in a step with a preemption
  // The victim is first in line and comes back before request 2.
  EXPECT_EQ(h.sched().num_waiting(), 2u);
}

TEST(VllmV1Test, WaitingRequestBlockedAtHeadOfLine) {
  Harness h("vllm-v1", SmallConfig(10));
  h.Add(0, 32, 100);  // 8 blocks
  h.Add(1, 16, 100);  // 4 blocks: does not fit
  h.Add(2, 4, 100);   // 1 block: fits, but waits behind request 1
  auto s = h.Step();
  EXPECT_EQ(s.Tokens(0), 32);
  EXPECT_EQ(s.Tokens(1), 0);
  EXPECT_EQ(s.Tokens(2), 0);
}

// PR vllm-project/vllm#44594: watermark * blocks stay free when a waiting
// request is admitted, except for the first one into an empty cache.
TEST(VllmV1Test, WatermarkKeepsHeadroomButNeverBlocksTheFirstRequest) {
  auto cfg = SmallConfig(100);  // 4 tokens per block
  cfg.knobs["watermark"] = "0.1";  // 10 blocks
  Harness h("vllm-v1", cfg);
  h.Add(0, 4 * 95, 100);  // 95 blocks: leaves less than the headroom, admitted anyway
  h.Add(1, 4, 100);       // 1 block: 5 free < 1 + 10
  auto s = h.Step();
  EXPECT_EQ(s.Tokens(0), 4 * 95);
  EXPECT_EQ(s.Tokens(1), 0);
  EXPECT_EQ(h.sched().num_waiting(), 1u);
}

TEST(VllmV1Test, WatermarkAdmitsAtTheBoundaryAndIsOffByDefault) {
  for (const char* wm : {"0.1", ""}) {
    auto cfg = SmallConfig(100);
    if (*wm) cfg.knobs["watermark"] = wm;
    Harness h("vllm-v1", cfg);
    h.Add(0, 4 * 80, 100);  // 80 blocks
    h.Add(1, 4 * 10, 100);  // 10 blocks: 20 free = 10 + 10, exactly the headroom
    h.Add(2, 4, 100);       // 1 more: 10 free < 1 + 10 with the watermark
    auto s = h.Step();
    EXPECT_EQ(s.Tokens(0), 320) << wm;
    EXPECT_EQ(s.Tokens(1), 40) << wm;
    EXPECT_EQ(s.Tokens(2), *wm ? 0 : 4) << wm;
  }
}

TEST(VllmV1Test, WatermarkOutsideZeroToOneIsAnError) {
  for (const char* bad : {"1", "-0.1", "1.5", "x"}) {
    auto cfg = SmallConfig(100);
    cfg.knobs["watermark"] = bad;
    auto made = MakeScheduler("vllm-v1", cfg, nullptr);
    ASSERT_FALSE(made.ok()) << bad;
    EXPECT_NE(made.status().message().find("watermark"), std::string::npos) << made.status().message();
  }
}

}  // namespace
}  // namespace cacheopt
