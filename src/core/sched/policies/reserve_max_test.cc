#include "core/sched/policies/reserve_max.h"

#include "support/harness.h"

namespace cacheopt {
namespace {

using testing::Harness;
using testing::SmallConfig;

TEST(ReserveMaxTest, AdmitsOnPromptPlusMaxTokens) {
  Harness h("reserve-max", SmallConfig(20));
  h.Add(0, 16, 3, /*max_tokens=*/40);  // reserves 14 blocks
  h.Add(1, 16, 3, /*max_tokens=*/40);  // another 14: must wait
  auto s = h.Step();
  EXPECT_EQ(s.Tokens(0), 16);
  EXPECT_EQ(s.Tokens(1), 0);
  // Only 4 blocks are physically held, yet request 1 waits for the reservation.
  EXPECT_EQ(h.sched().blocks().device_free(), 16);
  h.RunToEnd();
  EXPECT_EQ(h.sched().counters().preemptions_recompute, 0);
}

TEST(ReserveMaxTest, NeverPreemptsAndMixesContextWithGeneration) {
  Harness h("reserve-max", SmallConfig(40));
  h.Add(0, 8, 30, 60);
  h.Step();
  h.Add(1, 8, 30, 60);
  auto s = h.Step();
  EXPECT_EQ(s.Tokens(0), 1);
  EXPECT_EQ(s.Tokens(1), 8);
  h.RunToEnd();
  EXPECT_EQ(h.sched().counters().preemptions_recompute + h.sched().counters().preemptions_swap, 0);
  EXPECT_EQ(h.sched().blocks().device_free(), 40);
}

// With block reuse (on by default, as TensorRT-LLM's enable_block_reuse) a
// request's whole reservation still counts at admission, but blocks shared
// with a running request are held once, so a third sharer fits where without
// reuse only two do; the shared prefix is not prefilled again.
TEST(ReserveMaxTest, SharedPrefixBlocksCountOnce) {
  auto prompt = std::make_shared<const std::vector<BlockHash>>(
      HashFullBlocks(std::vector<int32_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, 4));
  for (bool reuse : {false, true}) {
    SchedulerConfig c = SmallConfig(24);
    if (!reuse) c.knobs["prefix_caching"] = "0";
    Harness h("reserve-max", c);
    h.Add(0, 16, 10, /*max_tokens=*/20, prompt);  // reserves 9 blocks
    EXPECT_EQ(h.Step().Tokens(0), 16);
    h.Add(1, 16, 10, 20, prompt);
    h.Add(2, 16, 10, 20, prompt);
    auto s = h.Step();
    EXPECT_EQ(h.sched().num_running(), reuse ? 3u : 2u) << reuse;
    // 3 of the 4 prompt blocks are cached (one token is always computed).
    EXPECT_EQ(s.Tokens(1), reuse ? 4 : 16) << reuse;
    h.RunToEnd();
    EXPECT_EQ(h.sched().counters().prefix_hit_tokens, reuse ? 2 * 12 : 0) << reuse;
    EXPECT_EQ(h.sched().counters().preemptions_recompute, 0);
    EXPECT_EQ(h.sched().blocks().device_free(), 24);
  }
}

}  // namespace
}  // namespace cacheopt
