#include "exec/cpu/attention.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "exec/cpu/gemm_kernel.h"
#include "exec/cpu/sampler.h"

namespace cacheopt {
namespace {

// Values in [-2, 2) with some exact zeros and negative zeros.
float Value(uint64_t* s) {
  *s = SplitMixHash(*s);
  if (*s % 17 == 0) return (*s & 32) ? 0.0f : -0.0f;
  return 4.0f * (static_cast<float>(*s >> 40) / 16777216.0f) - 2.0f;
}

// The vectorized path (AVX2 machines) and the portable one give the same
// bits: head sizes of 1 to 16 lanes (two register passes at 128), blocks of
// 4 and 16 positions, decodes and multi-row prefills, groups of 8 keys and
// the rest.
TEST(AttentionTest, VectorPathMatchesPortableBitwise) {
  if (!KernelUsesAvx2()) std::printf("[ no AVX2 here: both calls take the portable path ]\n");
  for (int32_t hs : {8, 16, 48, 64, 128}) {
    for (int32_t bs : {4, 16}) {
      ModelConfig c;
      c.n_heads = 4;
      c.n_kv_heads = 2;
      c.dim = hs * c.n_heads;
      c.n_layers = 2;
      const int32_t kv_dim = c.kv_dim();
      const int32_t nblocks = 80 / bs + 1;
      KvArena kv(c, bs, nblocks, 0);
      uint64_t seed = static_cast<uint64_t>(hs * 100 + bs);
      std::vector<int32_t> blocks(nblocks);
      for (int32_t b = 0; b < nblocks; ++b) {
        blocks[b] = nblocks - 1 - b;  // not in order
        for (int32_t l = 0; l < c.n_layers; ++l)
          for (int32_t g = 0; g < c.n_kv_heads; ++g)
            for (int32_t i = 0; i < bs * hs; ++i) {
              kv.Keys(KvTier::kDevice, b, l, g)[i] = Value(&seed);
              kv.Values(KvTier::kDevice, b, l, g)[i] = Value(&seed);
            }
      }
      for (auto [start, n] : std::vector<std::pair<int32_t, int32_t>>{{0, 1}, {0, 9}, {5, 1}, {7, 1}, {31, 1},
                                                                      {40, 17}, {63, 1}, {70, 3}}) {
        const int64_t ld = c.dim + 2 * kv_dim;
        std::vector<float> q(static_cast<size_t>(n + 2) * ld);
        for (float& x : q) x = Value(&seed);
        AttentionSeq s{2, n, start, blocks};
        std::vector<float> a(static_cast<size_t>(n + 2) * c.dim, 1.0f), b = a;
        for (int32_t l = 0; l < c.n_layers; ++l) {
          for (int32_t h = 0; h < c.n_heads; ++h) {
            AttendHead(c, s, l, h, q.data(), ld, kv, a.data(), c.dim);
            AttendHeadPortable(c, s, l, h, q.data(), ld, kv, b.data(), c.dim);
          }
          ASSERT_EQ(std::memcmp(a.data(), b.data(), sizeof(float) * a.size()), 0)
              << "hs " << hs << " bs " << bs << " start " << start << " n " << n << " layer " << l;
        }
      }
    }
  }
}

}  // namespace
}  // namespace cacheopt
