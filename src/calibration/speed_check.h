// The machine's speed at one time against another. A shared VM drifts by
// 10-15% within half an hour (docs/real-engine.md), so a cost model fitted at
// one time predicts a later run's steps that much too fast or slow. A check
// (`cacheopt profile --shapes-of PROFILE`) times a few of the profile's own
// shapes alone; two checks of the same shapes give the speed between them as
// the median ratio, and the model is scaled by it. Pure functions; the
// timing is the CLI's.
#pragma once

#include <cstdint>
#include <string>
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
// the same batch (the first of `base`'s with it): > 1, the machine is slower
// now. InvalidArgument naming `now_source` when no step of `now` is among
// `base`'s.
Result<double> SpeedFactor(const CpuCostProfile& base, const CpuCostProfile& now, const std::string& now_source);

// `p` on a machine `factor` times slower: every time coefficient and timed
// step multiplied by it, the copy rate divided by it. Shape and identity stay.
CpuCostProfile ScaledProfile(const CpuCostProfile& p, double factor);

}  // namespace cacheopt
