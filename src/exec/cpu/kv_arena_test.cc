#include "exec/cpu/kv_arena.h"

#include <gtest/gtest.h>

#include "exec/cpu/test_model.h"

namespace cacheopt {
namespace {

TEST(KvArenaTest, BlockBytesCountsEveryLayerKAndV) {
  ModelConfig c = cputest::TinyConfig();  // 3 layers, kv_dim 16
  EXPECT_EQ(KvArena::BlockBytes(c, 4), 3 * 2 * 4 * 16 * 4);
}

TEST(KvArenaTest, SlicesAreDisjointAndCopyMovesTheWholeBlock) {
  ModelConfig c = cputest::TinyConfig();
  const int32_t bs = 4, hs = c.head_size();
  KvArena a(c, bs, 3, 2);
  EXPECT_EQ(a.num_blocks(KvTier::kDevice), 3);
  EXPECT_EQ(a.num_blocks(KvTier::kHost), 2);
  // Stamp every float of device block 1 with its own address-like label.
  float label = 1;
  for (int32_t l = 0; l < c.n_layers; ++l)
    for (int32_t g = 0; g < c.n_kv_heads; ++g)
      for (int32_t i = 0; i < bs * hs; ++i) {
        a.Keys(KvTier::kDevice, 1, l, g)[i] = label++;
        a.Values(KvTier::kDevice, 1, l, g)[i] = label++;
      }
  EXPECT_EQ(a.Keys(KvTier::kDevice, 0, 0, 0)[0], 0.0f);  // neighbours untouched
  EXPECT_EQ(a.Keys(KvTier::kDevice, 2, 0, 0)[0], 0.0f);
  a.CopyBlock(KvTier::kDevice, 1, KvTier::kHost, 1);
  a.CopyBlock(KvTier::kHost, 1, KvTier::kDevice, 2);
  EXPECT_EQ(a.blocks_copied(), 2);
  label = 1;
  for (int32_t l = 0; l < c.n_layers; ++l)
    for (int32_t g = 0; g < c.n_kv_heads; ++g)
      for (int32_t i = 0; i < bs * hs; ++i) {
        ASSERT_EQ(a.Keys(KvTier::kDevice, 2, l, g)[i], label++);
        ASSERT_EQ(a.Values(KvTier::kDevice, 2, l, g)[i], label++);
      }
  EXPECT_EQ(a.Keys(KvTier::kHost, 0, 0, 0)[0], 0.0f);
}

}  // namespace
}  // namespace cacheopt
