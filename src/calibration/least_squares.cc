#include "calibration/least_squares.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace cacheopt {
namespace {

// The normal equations square the condition number; beyond a handful of
// columns a QR solver would be needed.
constexpr size_t kMaxColumns = 16;

}  // namespace

Result<std::vector<double>> WeightedLeastSquares(const std::vector<std::vector<double>>& x,
                                                 const std::vector<double>& y,
                                                 const std::vector<double>& w) {
  if (x.empty() || x.size() != y.size() || y.size() != w.size()) {
    return Status::InvalidArgument("least squares: need equally many rows, targets and weights");
  }
  const size_t n = x[0].size();
  if (n == 0 || x.size() < n) return Status::InvalidArgument("least squares: too few rows");
  if (n > kMaxColumns) return Status::InvalidArgument("least squares: too many columns");
  std::vector<double> scale(n, 0);
  for (const auto& row : x) {
    if (row.size() != n) return Status::InvalidArgument("least squares: ragged rows");
    for (size_t j = 0; j < n; ++j) scale[j] = std::max(scale[j], std::fabs(row[j]));
  }
  for (double& s : scale) {
    if (s == 0) return Status::InvalidArgument("least squares: an all-zero column");
  }
  // Normal equations on the rescaled columns, then Gauss-Jordan with pivoting.
  // Fixed-size rows: no allocation, and GCC's -O3 size analysis stays quiet.
  std::array<std::array<double, kMaxColumns + 1>, kMaxColumns> a{};
  for (size_t r = 0; r < x.size(); ++r) {
    for (size_t i = 0; i < n; ++i) {
      const double xi = x[r][i] / scale[i];
      for (size_t j = 0; j < n; ++j) a[i][j] += w[r] * xi * x[r][j] / scale[j];
      a[i][n] += w[r] * xi * y[r];
    }
  }
  double norm = 0;
  for (size_t i = 0; i < n; ++i) norm = std::max(norm, std::fabs(a[i][i]));
  for (size_t c = 0; c < n; ++c) {
    size_t p = c;
    for (size_t r = c + 1; r < n; ++r) {
      if (std::fabs(a[r][c]) > std::fabs(a[p][c])) p = r;
    }
    if (!(std::fabs(a[p][c]) > 1e-12 * norm)) {
      return Status::InvalidArgument("least squares: singular system");
    }
    std::swap(a[p], a[c]);
    for (size_t r = 0; r < n; ++r) {
      if (r == c) continue;
      const double f = a[r][c] / a[c][c];
      for (size_t k = c; k <= n; ++k) a[r][k] -= f * a[c][k];
    }
  }
  std::vector<double> beta(n);
  for (size_t i = 0; i < n; ++i) beta[i] = a[i][n] / a[i][i] / scale[i];
  return beta;
}

}  // namespace cacheopt
