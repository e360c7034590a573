// Prefix-cache block events: what the block manager records as blocks enter
// and leave the cache, and that replaying them rebuilds the cache's contents.
#include <gtest/gtest.h>

#include <random>
#include <unordered_set>
#include <vector>

#include "cacheopt/block_hash.h"
#include "cacheopt/kv_events.h"
#include "core/kv/block_manager.h"

namespace cacheopt {
namespace {

constexpr int32_t kBs = 4;

std::vector<BlockHash> Hashes(std::vector<int32_t> tokens) { return HashFullBlocks(tokens, kBs); }

TEST(KvEventsTest, NothingIsRecordedWithoutALog) {
  BlockManager bm(4, 0, kBs, true);
  EXPECT_EQ(bm.event_log(), nullptr);
  int32_t s = bm.NewSlot();
  ASSERT_TRUE(bm.GrowDevice(s, 8));
  bm.CacheBlocks(s, Hashes({1, 2, 3, 4, 5, 6, 7, 8}), 0, 2);
  EXPECT_EQ(bm.cached_blocks(), 2);
}

TEST(KvEventsTest, OneStoredEventPerContiguousRunWithItsParent) {
  BlockManager bm(8, 0, kBs, true);
  KvEventLog log;
  bm.set_event_log(&log);
  auto h = Hashes({1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3});
  int32_t s = bm.NewSlot();
  ASSERT_TRUE(bm.GrowDevice(s, 12));
  log.set_owner(7);
  bm.CacheBlocks(s, h, 0, 2);  // blocks 0 and 1: one event, no parent
  log.set_owner(7);
  bm.CacheBlocks(s, h, 2, 3);  // block 2 later (a later step): extends it, as the same run
  ASSERT_EQ(log.events().size(), 1u);
  const KvEvent& e = log.events()[0];
  EXPECT_EQ(e.kind, KvEventKind::kBlockStored);
  EXPECT_EQ(e.block_hashes, h);
  EXPECT_EQ(e.parent, kNoParent);
  EXPECT_EQ(e.request_id, 7);
  EXPECT_EQ(e.first_block, 0);
  EXPECT_EQ(e.block_size, kBs);
  EXPECT_EQ(e.medium, KvMedium::kGpu);
  EXPECT_TRUE(e.token_ids.empty());  // the core never sees tokens

  // Another request with the same first block (a twin it computed itself)
  // and a new second one: the twin stays private, the second is stored with
  // the twin's hash as its parent.
  auto h2 = Hashes({1, 1, 1, 1, 9, 9, 9, 9});
  int32_t t = bm.NewSlot();
  ASSERT_TRUE(bm.GrowDevice(t, 8));
  log.set_owner(8);
  bm.CacheBlocks(t, h2, 0, 2);
  ASSERT_EQ(log.events().size(), 2u);
  const KvEvent& f = log.events()[1];
  EXPECT_EQ(f.block_hashes, std::vector<BlockHash>{h2[1]});
  EXPECT_EQ(f.parent, h2[0]);
  EXPECT_EQ(f.first_block, 1);
  EXPECT_EQ(f.request_id, 8);
  EXPECT_TRUE(log.Take().size() == 2 && log.empty());
}

TEST(KvEventsTest, EvictionRemovesOneBlockPerEvent) {
  BlockManager bm(2, 0, kBs, true);
  KvEventLog log;
  bm.set_event_log(&log);
  auto h = Hashes({1, 1, 1, 1, 2, 2, 2, 2});
  int32_t s = bm.NewSlot();
  ASSERT_TRUE(bm.GrowDevice(s, 8));
  bm.CacheBlocks(s, h, 0, 2);
  bm.ReleaseSlot(s);  // released: cached and evictable, no event
  ASSERT_EQ(log.Take().size(), 1u);
  int32_t t = bm.NewSlot();
  ASSERT_TRUE(bm.GrowDevice(t, 8));  // evicts both, the released tail first
  ASSERT_EQ(log.events().size(), 2u);
  EXPECT_EQ(log.events()[0].kind, KvEventKind::kBlockRemoved);
  EXPECT_EQ(log.events()[0].block_hashes, std::vector<BlockHash>{h[1]});
  EXPECT_EQ(log.events()[1].block_hashes, std::vector<BlockHash>{h[0]});
}

TEST(KvEventsTest, SwapOutEmitsNothingAndItsCachedBlocksStayCached) {
  BlockManager bm(4, 4, kBs, true);
  KvEventLog log;
  bm.set_event_log(&log);
  auto h = Hashes({1, 1, 1, 1, 2, 2, 2, 2});
  int32_t s = bm.NewSlot();
  ASSERT_TRUE(bm.GrowDevice(s, 8));
  bm.CacheBlocks(s, h, 0, 2);
  log.Take();
  std::vector<BlockCopy> plan;
  ASSERT_TRUE(bm.SwapOut(s, &plan));
  EXPECT_TRUE(log.empty());
  EXPECT_EQ(bm.cached_blocks(), 2);
  EXPECT_EQ(bm.evictable_blocks(), 2);
  plan.clear();
  ASSERT_TRUE(bm.SwapIn(s, &plan));  // two truly free blocks: no eviction
  EXPECT_TRUE(log.empty());
}

TEST(KvEventsTest, ResetClearsOnlyWhenNothingIsHeld) {
  BlockManager bm(4, 0, kBs, true);
  KvEventLog log;
  bm.set_event_log(&log);
  int32_t s = bm.NewSlot();
  ASSERT_TRUE(bm.GrowDevice(s, 9));
  bm.CacheBlocks(s, Hashes({1, 1, 1, 1, 2, 2, 2, 2, 3}), 0, 2);
  log.Take();
  EXPECT_FALSE(bm.ResetPrefixCache());  // held
  EXPECT_TRUE(log.empty());
  bm.ReleaseSlot(s);
  EXPECT_TRUE(bm.ResetPrefixCache());
  ASSERT_EQ(log.events().size(), 1u);
  EXPECT_EQ(log.events()[0].kind, KvEventKind::kAllBlocksCleared);
  EXPECT_EQ(bm.cached_blocks(), 0);
  EXPECT_EQ(bm.evictable_blocks(), 0);
  EXPECT_EQ(bm.device_free(), 4);
  EXPECT_TRUE(bm.CheckInvariants().ok()) << bm.CheckInvariants().message();
  EXPECT_FALSE(BlockManager(4, 0, kBs, false).ResetPrefixCache());  // caching off
}

// Random traffic over a small pool: the events, replayed into a set of
// hashes, always name exactly the blocks the cache holds.
TEST(KvEventsTest, ReplayedEventsMatchTheCache) {
  BlockManager bm(24, 8, kBs, true);
  KvEventLog log;
  bm.set_event_log(&log);
  std::mt19937 rng(5);
  struct Live {
    int32_t slot;
    std::vector<BlockHash> hashes;
    int32_t blocks;
    bool swapped;
  };
  std::vector<Live> live;
  std::unordered_set<BlockHash> replayed;
  for (int step = 0; step < 4000; ++step) {
    const int op = static_cast<int>(rng() % 4);
    if (op == 0 && live.size() < 6) {
      // A prompt from one of 3 families of 6 blocks, then a random tail.
      std::vector<int32_t> tokens;
      const int32_t family = static_cast<int32_t>(rng() % 3);
      const int32_t shared = static_cast<int32_t>(rng() % 7) * kBs;
      for (int32_t i = 0; i < shared; ++i) tokens.push_back(family * 100 + i);
      const int32_t own = 1 + static_cast<int32_t>(rng() % 12);
      for (int32_t i = 0; i < own; ++i) tokens.push_back(1000 + static_cast<int32_t>(rng() % 4));
      Live l{bm.NewSlot(), Hashes(tokens), 0, false};
      const int32_t n = static_cast<int32_t>(tokens.size());
      if (!bm.GrowDevice(l.slot, n)) {
        bm.ReleaseSlot(l.slot);
        continue;
      }
      log.set_owner(step);
      bm.CacheBlocks(l.slot, l.hashes, 0, n / kBs);
      live.push_back(std::move(l));
    } else if (op == 1 && !live.empty()) {
      const size_t i = rng() % live.size();
      bm.ReleaseSlot(live[i].slot);
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(i));
    } else if (op == 2 && !live.empty()) {
      Live& l = live[rng() % live.size()];
      std::vector<BlockCopy> plan;
      if (l.swapped) {
        if (bm.SwapIn(l.slot, &plan)) {
          l.swapped = false;
          log.set_owner(step);
          bm.CacheBlocks(l.slot, l.hashes, 0, static_cast<int32_t>(l.hashes.size()));
        }
      } else if (bm.SwapOut(l.slot, &plan)) {
        l.swapped = true;
      }
    } else if (op == 3 && live.empty() && rng() % 8 == 0) {
      ASSERT_TRUE(bm.ResetPrefixCache());
    }
    for (const KvEvent& e : log.Take()) {
      if (e.kind == KvEventKind::kAllBlocksCleared) replayed.clear();
      for (BlockHash h : e.block_hashes) {
        if (e.kind == KvEventKind::kBlockStored) {
          ASSERT_TRUE(replayed.insert(h).second) << "stored twice";
        } else {
          ASSERT_EQ(replayed.erase(h), 1u) << "removed but not stored";
        }
      }
    }
    ASSERT_EQ(static_cast<int32_t>(replayed.size()), bm.cached_blocks()) << "step " << step;
    for (BlockHash h : replayed) ASSERT_EQ(bm.FindCachedPrefix(std::vector<BlockHash>{h}, 1).blocks, 1);
    ASSERT_TRUE(bm.CheckInvariants().ok()) << bm.CheckInvariants().message();
  }
}

}  // namespace
}  // namespace cacheopt
