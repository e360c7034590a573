// The project's one pseudo-random generator: xoshiro256** seeded through
// splitmix64. Fixed here (not std::mt19937 + std:: distributions) so a seed
// gives byte-identical simulations on every standard library.
#pragma once

#include <cstdint>

namespace cacheopt {

// splitmix64 (Steele, Lea, Flood 2014): expands one 64-bit seed into
// well-mixed words; used only to seed Rng and to hash stream ids.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t state) : state_(state) {}
  uint64_t Next();

 private:
  uint64_t state_;
};

// splitmix64's output function alone: a bijection on 64-bit words.
uint64_t Mix64(uint64_t x);

// xoshiro256** 1.0 (Blackman, Vigna 2018).
class Rng {
 public:
  // State = four successive splitmix64(seed) outputs, the authors' advice.
  explicit Rng(uint64_t seed);

  // An independent sub-stream of `seed`, so that e.g. arrivals and SLO
  // classes draw from separate streams and changing how many numbers one
  // consumer takes never shifts another's. For a fixed seed, distinct stream
  // ids give distinct generator states (the key below is a bijection of id).
  static Rng Stream(uint64_t seed, uint64_t stream_id);

  uint64_t Next();

 private:
  uint64_t s_[4];
};

}  // namespace cacheopt
