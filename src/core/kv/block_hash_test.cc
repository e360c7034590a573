#include "cacheopt/block_hash.h"

#include <gtest/gtest.h>

#include <vector>

namespace cacheopt {
namespace {

TEST(BlockHashTest, SameTokensSameHashes) {
  std::vector<int32_t> a = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::vector<int32_t> b = a;
  EXPECT_EQ(HashFullBlocks(a, 4), HashFullBlocks(b, 4));
  EXPECT_EQ(HashFullBlocks(a, 4).size(), 2u);  // the partial third block gets none
}

TEST(BlockHashTest, AnyEarlierDifferenceChangesEveryLaterHash) {
  std::vector<int32_t> a = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  std::vector<int32_t> b = a;
  b[1] = 99;  // first block differs
  auto ha = HashFullBlocks(a, 4), hb = HashFullBlocks(b, 4);
  for (size_t i = 0; i < ha.size(); ++i) EXPECT_NE(ha[i], hb[i]) << i;
  std::vector<int32_t> c = a;
  c[9] = 99;  // only the third block differs
  auto hc = HashFullBlocks(c, 4);
  EXPECT_EQ(ha[0], hc[0]);
  EXPECT_EQ(ha[1], hc[1]);
  EXPECT_NE(ha[2], hc[2]);
}

TEST(BlockHashTest, SameBlockUnderADifferentParentDiffers) {
  std::vector<int32_t> block = {5, 6, 7, 8};
  EXPECT_NE(HashBlock(kNoParent, block), HashBlock(HashBlock(kNoParent, block), block));
}

TEST(BlockHashTest, ExtraKeysSeparateEqualTokens) {
  std::vector<int32_t> block = {5, 6, 7, 8};
  const BlockHash plain = HashBlock(kNoParent, block);
  EXPECT_NE(plain, HashBlock(kNoParent, block, {.adapter = 3}));
  std::vector<uint64_t> image = {42};
  EXPECT_NE(plain, HashBlock(kNoParent, block, {.multimodal = image}));
  EXPECT_NE(HashBlock(kNoParent, block, {.adapter = 3}), HashBlock(kNoParent, block, {.adapter = 4}));
}

TEST(BlockHashTest, NeverTheNoParentValue) {
  std::vector<int32_t> block = {0, 0, 0, 0};
  for (int32_t t = 0; t < 1000; ++t) {
    block[0] = t;
    EXPECT_NE(HashBlock(kNoParent, block), kNoParent);
  }
}

}  // namespace
}  // namespace cacheopt
