// Small robust statistics for profile tables.
#pragma once

#include <vector>

namespace cacheopt {

// Median of a non-empty sample (mean of the middle two for even sizes).
double Median(std::vector<double> v);

// Running maximum in place: later entries never drop below earlier ones.
void MakeNonDecreasing(std::vector<double>* v);

// Each entry replaced by the median of itself and up to `half_window`
// neighbours on each side.
std::vector<double> RunningMedian(const std::vector<double>& v, int half_window);

}  // namespace cacheopt
