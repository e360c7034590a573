// Vidur's NCCL all-reduce table (network/<node>/all_reduce.csv[.xz]) for one
// TP degree, all GPUs in one node, smoothed into a usable curve.
#pragma once

#include <string>

#include "cacheopt/cost/piecewise_linear.h"
#include "cacheopt/status.h"

namespace cacheopt {

// Seconds vs message bytes for `tp` workers on one node. Each size is timed
// once and small sizes scatter 3-5x (launch jitter), so the curve is a
// running median over 31 neighbouring sizes, made non-decreasing.
Result<PiecewiseLinear> ReadAllReduceProfile(const std::string& path, int tp);

}  // namespace cacheopt
