// Percentiles by linear interpolation between order statistics (numpy's
// default, which vLLM's benchmark uses).
#pragma once

#include <vector>

namespace cacheopt {

// p in [0, 100]. Sorts `v` in place. Empty -> 0.
double Percentile(std::vector<double>& v, double p);
// Same, on an already sorted vector.
double PercentileSorted(const std::vector<double>& sorted, double p);
double Mean(const std::vector<double>& v);

}  // namespace cacheopt
