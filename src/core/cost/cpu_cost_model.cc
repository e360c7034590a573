#include "cacheopt/cost/cpu_cost_model.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cacheopt {

namespace {
constexpr int K = CpuCostModel::kFeatures;
using Matrix = std::array<std::array<double, K>, K>;

// Solves the normal equations restricted to the features in `mask` by
// Gaussian elimination with partial pivoting; false if singular.
bool SolveSubset(const Matrix& a, const CpuCostModel::Coeffs& b, unsigned mask, CpuCostModel::Coeffs* x) {
  int idx[K], n = 0;
  for (int i = 0; i < K; ++i)
    if (mask & (1u << i)) idx[n++] = i;
  double m[K][K + 1];
  for (int r = 0; r < n; ++r) {
    for (int c = 0; c < n; ++c) m[r][c] = a[idx[r]][idx[c]];
    m[r][n] = b[idx[r]];
  }
  for (int col = 0; col < n; ++col) {
    int piv = col;
    for (int r = col + 1; r < n; ++r)
      if (std::fabs(m[r][col]) > std::fabs(m[piv][col])) piv = r;
    if (std::fabs(m[piv][col]) < 1e-300) return false;
    for (int c = 0; c <= n; ++c) std::swap(m[col][c], m[piv][c]);
    for (int r = 0; r < n; ++r) {
      if (r == col) continue;
      double f = m[r][col] / m[col][col];
      for (int c = col; c <= n; ++c) m[r][c] -= f * m[col][c];
    }
  }
  x->fill(0);
  for (int r = 0; r < n; ++r) (*x)[idx[r]] = m[r][n] / m[r][r];
  return true;
}

// Weighted squared error up to a constant: x'Ax - 2 b'x.
double Objective(const Matrix& a, const CpuCostModel::Coeffs& b, const CpuCostModel::Coeffs& x) {
  double q = 0;
  for (int i = 0; i < K; ++i) {
    for (int j = 0; j < K; ++j) q += x[i] * a[i][j] * x[j];
    q -= 2 * b[i] * x[i];
  }
  return q;
}
}  // namespace

CpuCostModel::Coeffs SolveNonNegative(const Matrix& xtx, const CpuCostModel::Coeffs& xty) {
  CpuCostModel::Coeffs best{};
  double best_obj = std::numeric_limits<double>::infinity();
  for (unsigned mask = 1; mask < (1u << K); ++mask) {
    CpuCostModel::Coeffs x;
    if (!SolveSubset(xtx, xty, mask, &x)) continue;
    bool nonneg = true;
    for (double v : x) nonneg = nonneg && v >= 0;
    if (!nonneg) continue;
    double obj = Objective(xtx, xty, x);
    if (obj < best_obj) {
      best_obj = obj;
      best = x;
    }
  }
  return best;
}

CpuCostModel::CpuCostModel(int64_t kv_bytes_per_token, double forget)
    : kv_bytes_per_token_(kv_bytes_per_token), forget_(forget) {}

CpuCostModel::Coeffs CpuCostModel::Features(std::span<const SeqWork> seqs) {
  Coeffs f{1, 0, 0, static_cast<double>(seqs.size()), 0};
  for (const SeqWork& s : seqs) {
    f[1] += s.num_tokens;
    f[4] += static_cast<double>(s.context_before) + s.num_tokens;
    // Query i (0-based) of the chunk sees context_before + i + 1 keys.
    f[2] += static_cast<double>(s.num_tokens) * s.context_before +
            0.5 * static_cast<double>(s.num_tokens) * (s.num_tokens + 1);
  }
  return f;
}

double CpuCostModel::StepTime(std::span<const SeqWork> seqs) const {
  if (seqs.empty()) return 0;
  Coeffs f = Features(seqs);
  double t = 0;
  for (int i = 0; i < K; ++i) t += coeffs_[i] * f[i];
  return t;
}

double CpuCostModel::SwapTime(int64_t blocks_out, int64_t blocks_in, int block_size) const {
  double bytes = static_cast<double>(blocks_out + blocks_in) * block_size * kv_bytes_per_token_;
  return bytes / copy_bytes_per_s_;
}

void CpuCostModel::ObserveStep(std::span<const SeqWork> seqs, double seconds) {
  if (seqs.empty() || !(seconds > 0) || !std::isfinite(seconds)) return;
  // The prediction this step was planned with, against what it took: a
  // stochastic-approximation quantile (Robbins-Monro) of the log ratio.
  if (observations_ > 0) {
    const double predicted = StepTime(seqs);
    if (predicted > 0) {
      constexpr double kRate = 0.02, kQuantile = 0.95;
      const double log_ratio = std::log(seconds / predicted);
      log_overrun_p95_ += kRate * ((log_ratio > log_overrun_p95_ ? 1.0 : 0.0) - (1 - kQuantile));
    }
  }
  Coeffs f = Features(seqs);
  // Relative error matters (a 1 ms decode as much as a 1 s prefill): weight
  // each row by 1/seconds^2.
  double w = 1.0 / (seconds * seconds);
  for (int i = 0; i < K; ++i) {
    for (int j = 0; j < K; ++j) xtx_[i][j] = xtx_[i][j] * forget_ + w * f[i] * f[j];
    xty_[i] = xty_[i] * forget_ + w * f[i] * seconds;
  }
  ++observations_;
}

double CpuCostModel::OverrunRatioP95() const { return std::exp(std::max(0.0, log_overrun_p95_)); }

void CpuCostModel::ObserveCopy(int64_t blocks, int block_size, double seconds) {
  if (blocks <= 0 || !(seconds > 0)) return;
  copy_bytes_ = copy_bytes_ * forget_ + static_cast<double>(blocks) * block_size * kv_bytes_per_token_;
  copy_seconds_ = copy_seconds_ * forget_ + seconds;
  copy_bytes_per_s_ = copy_bytes_ / copy_seconds_;
}

void CpuCostModel::Fit() {
  if (observations_ == 0) return;
  coeffs_ = SolveNonNegative(xtx_, xty_);
}

void CpuCostModel::SetCoeffs(const Coeffs& c, double copy_bytes_per_s) {
  coeffs_ = c;
  if (copy_bytes_per_s > 0) copy_bytes_per_s_ = copy_bytes_per_s;
}

}  // namespace cacheopt
