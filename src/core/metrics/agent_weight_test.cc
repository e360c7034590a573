#include "cacheopt/metrics/agent_weight.h"

#include <gtest/gtest.h>

#include <limits>

namespace cacheopt {
namespace {

TEST(AgentWeightTest, IdleReplicaReportsFullWeight) { EXPECT_EQ(AgentWeightPercent(0, 0.0), 100); }

TEST(AgentWeightTest, FullKvHalvesTheWeight) {
  EXPECT_EQ(AgentWeightPercent(0, 1.0), 50);
  EXPECT_EQ(AgentWeightPercent(0, 0.5), 75);
}

TEST(AgentWeightTest, QueueDepthDividesIt) {
  EXPECT_EQ(AgentWeightPercent(1, 0.0), 50);
  EXPECT_EQ(AgentWeightPercent(3, 1.0), 13);  // 50 / 4 = 12.5, rounded half away from zero
}

TEST(AgentWeightTest, NeverZeroAndBadInputsClamped) {
  EXPECT_EQ(AgentWeightPercent(1000000, 1.0), 1);
  EXPECT_EQ(AgentWeightPercent(-5, 0.0), 100);
  EXPECT_EQ(AgentWeightPercent(0, 7.0), 50);
  EXPECT_EQ(AgentWeightPercent(0, std::numeric_limits<double>::quiet_NaN()), 50);
}

}  // namespace
}  // namespace cacheopt
