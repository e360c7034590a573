// SplitMix64: a tiny PRNG whose output is fixed by its definition, so random
// models are identical across compilers and standard libraries (unlike
// std::*_distribution, whose algorithms are implementation-defined).
#pragma once

#include <cstdint>

namespace cacheopt {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

  // Uniform in [-1, 1), from the top 24 bits so every value is exact in float.
  float Symmetric() { return static_cast<float>(static_cast<int64_t>(Next() >> 40) - (1 << 23)) * 0x1p-23f; }

  // Uniform in [0, n) for n > 0 (the modulo bias is irrelevant here).
  uint64_t Below(uint64_t n) { return Next() % n; }

 private:
  uint64_t state_;
};

}  // namespace cacheopt
