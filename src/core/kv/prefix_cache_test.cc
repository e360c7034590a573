// The block manager's prefix cache: reference counts, the evictable LRU,
// eviction order, and the invariant check over shared blocks.
#include <gtest/gtest.h>

#include <vector>

#include "cacheopt/block_hash.h"
#include "core/kv/block_manager.h"

namespace cacheopt {
namespace {

constexpr int32_t kBs = 4;

std::vector<BlockHash> Hashes(std::vector<int32_t> tokens) { return HashFullBlocks(tokens, kBs); }

// A slot holding `tokens` (computed) with its full blocks offered to the cache.
int32_t Cached(BlockManager& bm, const std::vector<BlockHash>& h, int32_t tokens) {
  int32_t s = bm.NewSlot();
  EXPECT_TRUE(bm.GrowDevice(s, tokens));
  bm.CacheBlocks(s, h, 0, tokens / kBs);
  return s;
}

TEST(PrefixCacheTest, SharedBlocksAreCountedOncePerHolder) {
  BlockManager bm(10, 0, kBs, /*prefix_caching=*/true);
  auto h = Hashes({1, 2, 3, 4, 5, 6, 7, 8, 9, 10});  // 2 full blocks
  int32_t a = Cached(bm, h, 10);                      // 3 blocks, the last partial
  EXPECT_EQ(bm.cached_blocks(), 2);
  EXPECT_EQ(bm.device_free(), 7);
  PrefixHit hit = bm.FindCachedPrefix(h, 2);
  EXPECT_EQ(hit.blocks, 2);
  EXPECT_EQ(hit.evictable, 0);  // a holds them
  int32_t b = bm.NewSlot();
  bm.AttachCached(b, h, 2);
  ASSERT_TRUE(bm.GrowDevice(b, 10));  // its own partial third block
  EXPECT_EQ(bm.table(b).device[0], bm.table(a).device[0]);
  EXPECT_EQ(bm.table(b).device[1], bm.table(a).device[1]);
  EXPECT_NE(bm.table(b).device[2], bm.table(a).device[2]);  // partial blocks never shared
  EXPECT_EQ(bm.holders(bm.table(a).device[0]), 2);
  EXPECT_EQ(bm.device_free(), 6);
  EXPECT_TRUE(bm.CheckInvariants().ok()) << bm.CheckInvariants().message();
  // a leaves: only its own partial block is freed; the shared ones stay held.
  bm.ReleaseSlot(a);
  EXPECT_EQ(bm.device_free(), 7);
  EXPECT_EQ(bm.evictable_blocks(), 0);
  EXPECT_EQ(bm.holders(bm.table(b).device[0]), 1);
  EXPECT_TRUE(bm.CheckInvariants().ok()) << bm.CheckInvariants().message();
  // b leaves: the cached blocks stay cached, unheld, and count as free.
  bm.ReleaseSlot(b);
  EXPECT_EQ(bm.device_free(), 10);
  EXPECT_EQ(bm.evictable_blocks(), 2);
  EXPECT_EQ(bm.cached_blocks(), 2);
  EXPECT_EQ(bm.FindCachedPrefix(h, 2).evictable, 2);
  EXPECT_TRUE(bm.CheckInvariants().ok()) << bm.CheckInvariants().message();
}

TEST(PrefixCacheTest, TrulyFreeBlocksGoFirstThenTheLeastRecentlyReleased) {
  BlockManager bm(4, 0, kBs, true);
  auto ha = Hashes({1, 1, 1, 1, 2, 2, 2, 2});
  auto hb = Hashes({3, 3, 3, 3});
  int32_t a = Cached(bm, ha, 8);
  int32_t b = Cached(bm, hb, 4);
  const int32_t a0 = bm.table(a).device[0], a1 = bm.table(a).device[1], b0 = bm.table(b).device[0];
  bm.ReleaseSlot(a);  // a's blocks released first: a1 then a0 join the LRU
  bm.ReleaseSlot(b);
  EXPECT_EQ(bm.evictable_blocks(), 3);
  int32_t c = bm.NewSlot();
  ASSERT_TRUE(bm.GrowDevice(c, 4));  // the one never-cached block: no eviction
  EXPECT_EQ(bm.evictions(), 0);
  ASSERT_TRUE(bm.GrowDevice(c, 8));  // evicts a's last block first (vLLM's order)
  EXPECT_EQ(bm.table(c).device[1], a1);
  EXPECT_EQ(bm.evictions(), 1);
  EXPECT_EQ(bm.FindCachedPrefix(ha, 2).blocks, 1);  // a's first block is still cached
  ASSERT_TRUE(bm.GrowDevice(c, 12));
  EXPECT_EQ(bm.table(c).device[2], a0);
  EXPECT_EQ(bm.FindCachedPrefix(ha, 2).blocks, 0);
  EXPECT_EQ(bm.FindCachedPrefix(hb, 1).blocks, 1);
  EXPECT_FALSE(bm.GrowDevice(c, 20));  // needs 2, only b0 is left
  ASSERT_TRUE(bm.GrowDevice(c, 16));
  EXPECT_EQ(bm.table(c).device[3], b0);
  EXPECT_EQ(bm.device_free(), 0);
  EXPECT_TRUE(bm.CheckInvariants().ok()) << bm.CheckInvariants().message();
}

TEST(PrefixCacheTest, AHeldBlockIsNeverEvicted) {
  BlockManager bm(3, 0, kBs, true);
  auto h = Hashes({1, 2, 3, 4, 5, 6, 7, 8});
  int32_t a = Cached(bm, h, 8);  // holds 2 cached blocks
  int32_t c = bm.NewSlot();
  ASSERT_TRUE(bm.GrowDevice(c, 4));   // the last free block
  EXPECT_FALSE(bm.GrowDevice(c, 8));  // nothing evictable: a holds its blocks
  EXPECT_EQ(bm.evictions(), 0);
  EXPECT_EQ(bm.FindCachedPrefix(h, 2).blocks, 2);
  (void)a;
  EXPECT_TRUE(bm.CheckInvariants().ok());
}

TEST(PrefixCacheTest, ReattachingAnEvictableBlockTakesItOffTheLru) {
  BlockManager bm(4, 0, kBs, true);
  auto h = Hashes({1, 2, 3, 4});
  int32_t a = Cached(bm, h, 4);
  bm.ReleaseSlot(a);
  EXPECT_EQ(bm.evictable_blocks(), 1);
  int32_t b = bm.NewSlot();
  bm.AttachCached(b, h, 1);
  EXPECT_EQ(bm.evictable_blocks(), 0);
  EXPECT_EQ(bm.device_free(), 3);
  EXPECT_TRUE(bm.CheckInvariants().ok());
}

TEST(PrefixCacheTest, ATwinBlockStaysPrivate) {
  BlockManager bm(6, 0, kBs, true);
  auto h = Hashes({1, 2, 3, 4});
  int32_t a = Cached(bm, h, 4);
  int32_t b = Cached(bm, h, 4);  // computed the same block itself, beside a
  EXPECT_EQ(bm.cached_blocks(), 1);
  EXPECT_EQ(bm.holders(bm.table(b).device[0]), 1);
  bm.ReleaseSlot(b);  // its private twin is truly freed
  EXPECT_EQ(bm.evictable_blocks(), 0);
  bm.ReleaseSlot(a);
  EXPECT_EQ(bm.evictable_blocks(), 1);
  EXPECT_TRUE(bm.CheckInvariants().ok());
}

TEST(PrefixCacheTest, SwapCopiesSharedBlocksAndReleasesOnlyReferences) {
  BlockManager bm(6, 6, kBs, true);
  auto h = Hashes({1, 2, 3, 4, 5, 6, 7, 8});
  int32_t a = Cached(bm, h, 8);
  int32_t b = bm.NewSlot();
  bm.AttachCached(b, h, 2);
  std::vector<BlockCopy> plan;
  ASSERT_TRUE(bm.SwapOut(b, &plan));
  EXPECT_EQ(plan.size(), 2u);  // every block copied, shared or not
  EXPECT_EQ(bm.holders(bm.table(a).device[0]), 1);  // a still holds them
  EXPECT_EQ(bm.device_free(), 4);
  EXPECT_TRUE(bm.CheckInvariants().ok()) << bm.CheckInvariants().message();
  plan.clear();
  ASSERT_TRUE(bm.SwapIn(b, &plan));  // back into fresh private blocks
  EXPECT_EQ(bm.device_free(), 2);
  EXPECT_TRUE(bm.CheckInvariants().ok()) << bm.CheckInvariants().message();
}

TEST(PrefixCacheTest, OffByDefaultAndThenNothingIsCached) {
  BlockManager bm(4, 0, kBs);
  auto h = Hashes({1, 2, 3, 4});
  int32_t a = bm.NewSlot();
  ASSERT_TRUE(bm.GrowDevice(a, 4));
  EXPECT_EQ(bm.FindCachedPrefix(h, 1).blocks, 0);
  bm.ReleaseSlot(a);
  EXPECT_EQ(bm.device_free(), 4);
  EXPECT_EQ(bm.evictable_blocks(), 0);
}

}  // namespace
}  // namespace cacheopt
