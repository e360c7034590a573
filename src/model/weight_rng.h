// Random weights and vocabularies from splitmix64, whose output is fixed by
// its definition, so random models are identical across compilers and
// standard libraries (unlike std::*_distribution).
#pragma once

#include <cstdint>

#include "cacheopt/random/rng.h"

namespace cacheopt {

class WeightRng {
 public:
  explicit WeightRng(uint64_t seed) : sm_(seed) {}

  uint64_t Next() { return sm_.Next(); }

  // Uniform in [-1, 1), from the top 24 bits so every value is exact in float.
  float Symmetric() { return static_cast<float>(static_cast<int64_t>(Next() >> 40) - (1 << 23)) * 0x1p-23f; }

  // Uniform in [0, n) for n > 0 (the modulo bias is irrelevant here).
  uint64_t Below(uint64_t n) { return Next() % n; }

 private:
  SplitMix64 sm_;
};

}  // namespace cacheopt
