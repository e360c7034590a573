#include "exec/cpu/kv_arena.h"

#include <gtest/gtest.h>

#include <vector>

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

TEST(KvArenaTest, ReducedDtypesStoreFewerBytesAndReadBackDeterministically) {
  ModelConfig c = cputest::TinyConfig();  // head size 8
  const int32_t hs = c.head_size();
  EXPECT_EQ(KvArena::BlockBytes(c, 4, KvDtype::kF16) * 2, KvArena::BlockBytes(c, 4));
  EXPECT_EQ(KvArena::BlockBytes(c, 4, KvDtype::kQ8), 3 * 2 * 4 * c.n_kv_heads * (hs + 4));
  std::vector<float> row(hs), back(hs);
  for (int32_t i = 0; i < hs; ++i) row[i] = 0.37f * (i - 3);
  for (KvDtype d : {KvDtype::kF32, KvDtype::kF16, KvDtype::kQ8}) {
    KvArena a(c, 4, 2, 1, d);
    a.StoreRow(KvTier::kDevice, 1, 2, 1, 1, 3, row.data());
    a.CopyBlock(KvTier::kDevice, 1, KvTier::kHost, 0);
    std::vector<float> rows(4 * hs);
    a.LoadRows(KvTier::kHost, 0, 2, 1, 1, 4, rows.data());
    const double tol = d == KvDtype::kF32 ? 0 : d == KvDtype::kF16 ? 1e-3 : 0.37 * 4 / 127.0 / 2 * 1.001;
    for (int32_t i = 0; i < hs; ++i) {
      EXPECT_NEAR(rows[3 * hs + i], row[i], tol) << KvDtypeName(d);
      EXPECT_EQ(rows[i], 0.0f);  // other slots untouched
    }
  }
  EXPECT_EQ(KvDtypeFromName("q8"), KvDtype::kQ8);
  EXPECT_FALSE(KvDtypeFromName("fp8").has_value());
}

}  // namespace
}  // namespace cacheopt
