// The run-long log of token gaps (for the simulator's summary) is kept only
// when asked: a server that runs for days would grow it by 4 bytes a token.
#include <gtest/gtest.h>

#include "support/harness.h"

namespace cacheopt {
namespace {

size_t GapsLogged(bool keep) {
  SchedulerConfig c;
  c.block_size = 4;
  c.device_blocks = 64;
  c.keep_gap_log = keep;
  testing::Harness h("vllm", c);
  h.Add(0, 8, 20);
  h.Add(1, 8, 10);
  h.RunToEnd();
  return h.sched().TakeGapLog().size();
}

TEST(GapLog, KeptForTheSimulatorAndOffForAServer) {
  EXPECT_EQ(GapsLogged(true), 19u + 9u);  // every gap after each first token
  EXPECT_EQ(GapsLogged(false), 0u);
}

}  // namespace
}  // namespace cacheopt
