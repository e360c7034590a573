// The machine's speed now against when its profile was taken. A shared VM
// drifts by 10-15% within half an hour (docs/real-engine.md), so a profile,
// or a refit of it, predicts a later run's steps that much too fast or slow.
// The check times a few of the profile's own shapes again
// (`cacheopt profile --shapes-of PROFILE`) and scales the cost model by the
// median ratio, now against then. Pure functions; the timing is the CLI's.
#pragma once

#include <cstdint>
#include <vector>

#include "cacheopt/status.h"
#include "calibration/cpu_cost_profile.h"

namespace cacheopt {

// At most `max_shapes` of `base`'s timed steps, spread evenly over their
// times, among those that took between `min_s` and `max_s` (a serving
// step's range: long enough to time, short enough to repeat). Empty when none
// is in range.
std::vector<std::vector<SeqWork>> SpeedCheckShapes(const CpuCostProfile& base, int max_shapes, double min_s,
                                                    double max_s);

// The median over `now`'s steps of now.seconds / the seconds `base` took for
// the same batch: > 1, the machine is slower now. InvalidArgument naming
// `now_source` when no step of `now` is among `base`'s.
Result<double> SpeedFactor(const CpuCostProfile& base, const CpuCostProfile& now, const std::string& now_source);

// `p` on a machine `factor` times slower: every time coefficient and timed
// step multiplied by it, the copy rate divided by it. Shape and identity stay.
CpuCostProfile ScaledProfile(const CpuCostProfile& p, double factor);

}  // namespace cacheopt
