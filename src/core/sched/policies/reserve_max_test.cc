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

}  // namespace
}  // namespace cacheopt
