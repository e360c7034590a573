// C4: who leaves when blocks must be freed. Candidates are ordered by
//   1. looser TBT SLO class first (a pause hurts a loose class least),
//   2. longer predicted remaining time first ((padded_output - g) x step time),
//   3. cheaper preemption first (min of swap and recompute, C5);
// ties by newest admission. A request already preempted `max_preemptions`
// times comes after every other candidate (no starvation).
#pragma once

#include <cstdint>
#include <vector>

#include "cacheopt/request.h"

namespace cacheopt {

struct VictimCandidate {
  Request* req = nullptr;
  double remaining_s = 0;   // predicted remaining time
  double preempt_cost_s = 0;
};

// Sorts `c` so the preferred victim is first.
void OrderVictims(std::vector<VictimCandidate>* c, int32_t max_preemptions);

// The baseline order (switch `victim` off): newest admission first.
void OrderNewestFirst(std::vector<VictimCandidate>* c);

}  // namespace cacheopt
