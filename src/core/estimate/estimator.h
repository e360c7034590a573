// Output-length estimation (CACHEOPT.md C1): a prediction, the direction its
// error is expected to take, and the error range per direction, from which a
// padded length with coverage p is derived (padding.h). Implementations
// learn only from finished requests; `oracle` and `noisy-oracle` (the
// sensitivity study's sanctioned exceptions) read the truth through a
// TruthSource that only the simulator provides.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cacheopt/status.h"
#include "cacheopt/request.h"

namespace cacheopt {

struct LengthEstimate {
  double predicted = 0;     // Lhat: total output tokens expected
  bool truth_above = true;  // the expected sign of (truth - Lhat)
  double range_above = 0;   // R of recent positive residuals (p99 - p1)
  double range_below = 0;   // R of recent negative residuals (p99 - p1 of |residual|)
};

class OutputLengthEstimator {
 public:
  virtual ~OutputLengthEstimator() = default;
  virtual std::string_view name() const = 0;

  // Estimate for `spec`, given that `generated` tokens are already out (so
  // the truth is > generated unless the request is about to end).
  virtual LengthEstimate Estimate(const RequestSpec& spec, int32_t generated) const = 0;

  // A finished request's true output length, and what was predicted for it
  // at admission (for the residual window). Never called before it ends.
  virtual void Observe(const RequestSpec& spec, int32_t output_tokens, double predicted_at_admission) = 0;

  // The q-quantile (q in [0,1]) of recent signed residuals (truth - prediction),
  // for conformal padding; 0 while there are none.
  virtual double ResidualQuantile(double q) const = 0;
};

// The truth for request `id` (simulation only). Empty in a real engine.
using TruthSource = std::function<int32_t(int64_t id)>;

struct EstimatorOptions {
  std::string name = "history";  // history | text | oracle | noisy-oracle
  int32_t residual_window = 2000;  // finished requests kept for residuals
  int32_t min_bucket_samples = 20;  // below: fall back to the global distribution
  double prior_tokens = 256;       // Lhat before min_bucket_samples have finished at all
  double noise_spread = 0.5;       // noisy-oracle: sigma of the log-normal factor
  uint64_t seed = 0;               // noisy-oracle draws
  TruthSource truth;               // required by oracle and noisy-oracle
  int32_t history_window = 2000;   // history: lengths kept per cell, bucket and overall
  bool split_by_class = true;      // history: cells per SLO class tag within a bucket
  double text_learning_rate = 0.2;  // text: NLMS step, in (0, 2)
};

std::vector<std::string> EstimatorNames();
Result<std::unique_ptr<OutputLengthEstimator>> MakeEstimator(const EstimatorOptions& opts);

}  // namespace cacheopt
