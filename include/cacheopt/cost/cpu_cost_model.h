// The CPU executor's model of time, fitted from measured steps: a short
// calibration at start-up (calibrate.h) and every real step after (online).
// Policies that need predictions (SLO defaults, cacheopt's batching and
// swap-or-recompute, sarathi's budget) read it like the GPU cost model.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "cacheopt/cost/cost_model.h"

namespace cacheopt {

// step = c0 + c1 * tokens + c2 * attention pairs + c3 * sequences
//        + c4 * KV tokens read, every c >= 0.
// Tokens drive the matrix products; query-key pairs drive attention's
// arithmetic; each sequence adds a classifier row and bookkeeping; and each
// sequence's cache is streamed from memory once per step (context + new
// tokens), which is what a decode at a long context pays for (measured on
// the 15m model: a decode's attention costs 2.4 us per key, a long prefill's
// under 1 us per query-key pair).
class CpuCostModel : public CostModel {
 public:
  static constexpr int kFeatures = 5;
  using Coeffs = std::array<double, kFeatures>;

  // `forget` in (0, 1]: weight kept by old observations per new one, so the
  // fit follows the machine (other load, thermal state) without jumping.
  CpuCostModel(int64_t kv_bytes_per_token, double forget = 0.999);

  double StepTime(std::span<const SeqWork> seqs) const override;
  double SwapTime(int64_t blocks_out, int64_t blocks_in, int block_size) const override;
  int64_t KvBytesPerToken() const override { return kv_bytes_per_token_; }

  // A measured step (compute only, copies excluded) and measured copies.
  void ObserveStep(std::span<const SeqWork> seqs, double seconds);
  // The 95th percentile of measured / predicted step time over the steps
  // observed (a running quantile estimate), at least 1.
  double OverrunRatioP95() const override;
  void ObserveCopy(int64_t blocks, int block_size, double seconds);
  // Refits the coefficients from every observation so far (weighted).
  void Fit();

  static Coeffs Features(std::span<const SeqWork> seqs);
  const Coeffs& coeffs() const { return coeffs_; }
  double copy_bytes_per_s() const { return copy_bytes_per_s_; }
  int64_t observations() const { return observations_; }
  // Sets the coefficients directly (a saved profile, tests).
  void SetCoeffs(const Coeffs& c, double copy_bytes_per_s);

 private:
  int64_t kv_bytes_per_token_;
  double forget_;
  // Weighted normal equations of the least-squares fit.
  std::array<std::array<double, kFeatures>, kFeatures> xtx_{};
  Coeffs xty_{};
  Coeffs coeffs_{};
  int64_t observations_ = 0;
  double log_overrun_p95_ = 0;  // running estimate of the p95 of log(measured / predicted)
  double copy_bytes_ = 0, copy_seconds_ = 0;
  double copy_bytes_per_s_ = 5e9;  // until measured: a typical memcpy rate
};

// Least squares with every coefficient >= 0 (all subsets of the features,
// which is exact and cheap for four). Exposed for tests.
CpuCostModel::Coeffs SolveNonNegative(const std::array<std::array<double, CpuCostModel::kFeatures>,
                                                       CpuCostModel::kFeatures>& xtx,
                                      const CpuCostModel::Coeffs& xty);

}  // namespace cacheopt
