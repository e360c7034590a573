#include "core/kv/block_manager.h"

#include <gtest/gtest.h>

namespace cacheopt {
namespace {

TEST(BlockManagerTest, GrowsByBlocksAndFreesEverything) {
  BlockManager bm(10, 4, 16);
  int32_t s = bm.NewSlot();
  EXPECT_EQ(bm.DeviceBlocksToGrow(s, 17), 2);
  ASSERT_TRUE(bm.GrowDevice(s, 17));
  EXPECT_EQ(bm.device_free(), 8);
  EXPECT_EQ(bm.DeviceBlocksToGrow(s, 32), 0);  // still fits the second block
  EXPECT_EQ(bm.DeviceBlocksToGrow(s, 33), 1);
  EXPECT_TRUE(bm.CheckInvariants().ok());
  bm.ReleaseSlot(s);
  EXPECT_EQ(bm.device_free(), 10);
  EXPECT_TRUE(bm.CheckInvariants().ok());
}

TEST(BlockManagerTest, GrowFailsWithoutChange) {
  BlockManager bm(3, 0, 16);
  int32_t s = bm.NewSlot();
  EXPECT_FALSE(bm.GrowDevice(s, 16 * 4));
  EXPECT_EQ(bm.device_free(), 3);
  EXPECT_TRUE(bm.table(s).device.empty());
}

TEST(BlockManagerTest, SwapPlansNameConcreteBlocks) {
  BlockManager bm(4, 4, 16);
  int32_t a = bm.NewSlot();
  ASSERT_TRUE(bm.GrowDevice(a, 48));  // blocks 0,1,2
  std::vector<int32_t> dev = bm.table(a).device;
  std::vector<BlockCopy> out;
  ASSERT_TRUE(bm.SwapOut(a, &out));
  ASSERT_EQ(out.size(), 3u);
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].src, dev[i]);
    EXPECT_EQ(out[i].dst, bm.table(a).host[i]);
  }
  EXPECT_EQ(bm.device_free(), 4);
  EXPECT_EQ(bm.host_free(), 1);
  EXPECT_TRUE(bm.CheckInvariants().ok());

  std::vector<BlockCopy> in;
  ASSERT_TRUE(bm.SwapIn(a, &in));
  ASSERT_EQ(in.size(), 3u);
  EXPECT_EQ(bm.host_free(), 4);
  EXPECT_EQ(bm.device_free(), 1);
  EXPECT_TRUE(bm.CheckInvariants().ok());
}

TEST(BlockManagerTest, SwapOutRefusedWhenHostFull) {
  BlockManager bm(4, 1, 16);
  int32_t a = bm.NewSlot();
  ASSERT_TRUE(bm.GrowDevice(a, 40));
  std::vector<BlockCopy> plan;
  EXPECT_FALSE(bm.SwapOut(a, &plan));
  EXPECT_TRUE(plan.empty());
  EXPECT_EQ(bm.table(a).device.size(), 3u);
}

TEST(BlockManagerTest, DeterministicBlockOrder) {
  BlockManager bm(8, 0, 4);
  int32_t a = bm.NewSlot();
  ASSERT_TRUE(bm.GrowDevice(a, 8));
  EXPECT_EQ(bm.table(a).device, (std::vector<int32_t>{0, 1}));
  int32_t b = bm.NewSlot();
  ASSERT_TRUE(bm.GrowDevice(b, 4));
  EXPECT_EQ(bm.table(b).device, (std::vector<int32_t>{2}));
  bm.ReleaseSlot(a);
  int32_t c = bm.NewSlot();
  ASSERT_TRUE(bm.GrowDevice(c, 8));
  EXPECT_EQ(bm.table(c).device, (std::vector<int32_t>{0, 1}));  // reused in their old order
}

}  // namespace
}  // namespace cacheopt
