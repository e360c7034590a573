#include "cacheopt/random/rng.h"

namespace cacheopt {
namespace {

constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ULL;

inline uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint64_t SplitMix64::Next() {
  state_ += kGolden;
  return Mix64(state_);
}

Rng::Rng(uint64_t seed) {
  SplitMix64 sm(seed);
  for (uint64_t& word : s_) word = sm.Next();
}

Rng Rng::Stream(uint64_t seed, uint64_t stream_id) {
  // Mix64 is a bijection, so for a fixed seed each stream id yields its own key.
  return Rng(Mix64(Mix64(seed) ^ Mix64(stream_id + kGolden)));
}

uint64_t Rng::Next() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

}  // namespace cacheopt
