// The sensitivity study's two estimators that read the truth (CACHEOPT.md,
// "Who may know a request's output length"): simulation only, through the
// simulator's TruthSource.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/estimate/estimator.h"
#include "core/estimate/residual_window.h"

namespace cacheopt {

// `oracle`: the true length, no error (ranges 0, truth above). It still keeps
// residuals (all 0 unless the run caps a request below its truth), so
// conformal padding reads the same window as for any estimator.
class OracleEstimator : public OutputLengthEstimator {
 public:
  explicit OracleEstimator(const EstimatorOptions& opts);

  std::string_view name() const override { return "oracle"; }
  LengthEstimate Estimate(const RequestSpec& spec, int32_t generated) const override;
  void Observe(const RequestSpec& spec, int32_t output_tokens, double predicted_at_admission) override;
  double ResidualQuantile(double q) const override { return residuals_.Quantile(q); }

 private:
  TruthSource truth_;
  ResidualWindow residuals_;
};

// `noisy-oracle`: truth x exp(N(0, noise_spread)), the factor fixed per
// request: drawn from Rng::Stream(key, id), key = the first draw of
// Rng::Stream(seed, streams::kNoisyOracle) (request ids are small integers, so
// Stream(seed, id) alone would replay the workload's own streams). Once a
// request has generated past its noisy prediction, OverrunGuess(g).
// Direction and ranges come from its own residuals, like `history`.
class NoisyOracleEstimator : public OutputLengthEstimator {
 public:
  explicit NoisyOracleEstimator(const EstimatorOptions& opts);

  std::string_view name() const override { return "noisy-oracle"; }
  LengthEstimate Estimate(const RequestSpec& spec, int32_t generated) const override;
  void Observe(const RequestSpec& spec, int32_t output_tokens, double predicted_at_admission) override;
  double ResidualQuantile(double q) const override { return residuals_.Quantile(q); }

  // The noisy total length of request `id`, whatever it has generated.
  double NoisyLength(int64_t id) const;

 private:
  TruthSource truth_;
  double spread_;
  uint64_t key_;
  ResidualWindow residuals_;
};

}  // namespace cacheopt
