// C5: preempt by whichever is faster to undo. Swapping costs the copy out and
// back (and needs room in the host tier); recomputing costs a prefill of the
// prompt plus the tokens generated so far. Both from the shared cost model.
#pragma once

#include <cstdint>

#include "cacheopt/cost/cost_model.h"
#include "cacheopt/request.h"
#include "cacheopt/scheduler_output.h"

namespace cacheopt {

struct PreemptionCost {
  double swap_s = 0;       // out and back; +inf when the host tier lacks room
  double recompute_s = 0;  // prefill of prompt + generated
  PreemptKind Cheaper() const { return swap_s < recompute_s ? PreemptKind::kSwap : PreemptKind::kRecompute; }
  double Min() const { return swap_s < recompute_s ? swap_s : recompute_s; }
};

// `blocks_held`: the victim's device blocks; `host_free`: free host blocks;
// `cached_tokens`: its leading tokens whose blocks stay in the prefix cache
// after it leaves (a recompute then only prefills the rest, over them).
PreemptionCost EstimatePreemptionCost(const CostModel& cost, const Request& r, int32_t blocks_held,
                                      int32_t host_free, int32_t block_size, int32_t cached_tokens = 0);

}  // namespace cacheopt
