// Weighted linear least squares for the small fits in this folder (a handful
// of coefficients over thousands of profile rows).
#pragma once

#include <vector>

#include "cacheopt/status.h"

namespace cacheopt {

// Minimises sum_i w[i] * (x[i] . beta - y[i])^2 over beta. Columns are
// rescaled internally so features of very different size (1 and 1e11) solve
// stably. A singular system (e.g. a constant column twice) is an error.
Result<std::vector<double>> WeightedLeastSquares(const std::vector<std::vector<double>>& x,
                                                 const std::vector<double>& y,
                                                 const std::vector<double>& w);

}  // namespace cacheopt
