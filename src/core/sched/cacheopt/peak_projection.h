// C2, `lending=peak`: does the projected physical KV usage of a set of
// requests ever exceed the pool? Each request grows one token per step until
// it releases all its blocks.
#pragma once

#include <cstdint>
#include <vector>

namespace cacheopt {

struct ProjectedLife {
  int64_t remain = 1;  // steps until it releases its blocks (>= 1)
  int64_t tokens = 0;  // tokens it holds now
};

class PeakProjection {
 public:
  // True when, at every step before the last release, the blocks of the
  // requests still alive fit in `capacity_blocks`. Reorders `lives`.
  bool Fits(std::vector<ProjectedLife>* lives, int64_t block_size, int64_t capacity_blocks);

 private:
  std::vector<int64_t> rem_count_;  // scratch
};

// The direct O(n^2) check the sweep must equal (tests).
bool PeakFitsBruteForce(const std::vector<ProjectedLife>& lives, int64_t block_size, int64_t capacity_blocks);

}  // namespace cacheopt
