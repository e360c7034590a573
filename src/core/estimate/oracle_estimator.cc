#include "core/estimate/oracle_estimator.h"

#include "cacheopt/random/distributions.h"
#include "cacheopt/random/rng.h"
#include "cacheopt/random/streams.h"
#include "core/estimate/overrun_guess.h"

namespace cacheopt {

OracleEstimator::OracleEstimator(const EstimatorOptions& opts)
    : truth_(opts.truth), residuals_(opts.residual_window) {}

LengthEstimate OracleEstimator::Estimate(const RequestSpec& spec, int32_t generated) const {
  LengthEstimate e;
  e.predicted = truth_(spec.id);
  e.truth_above = true;
  e.range_above = 0;
  e.range_below = 0;
  return e;
}

void OracleEstimator::Observe(const RequestSpec& spec, int32_t output_tokens, double predicted_at_admission) {
  residuals_.Add(output_tokens - predicted_at_admission);
}

NoisyOracleEstimator::NoisyOracleEstimator(const EstimatorOptions& opts)
    : truth_(opts.truth),
      spread_(opts.noise_spread),
      key_(Rng::Stream(opts.seed, streams::kNoisyOracle).Next()),
      residuals_(opts.residual_window) {}

double NoisyOracleEstimator::NoisyLength(int64_t id) const {
  Rng rng = Rng::Stream(key_, static_cast<uint64_t>(id));
  return truth_(id) * LogNormal(rng, 0, spread_);
}

LengthEstimate NoisyOracleEstimator::Estimate(const RequestSpec& spec, int32_t generated) const {
  LengthEstimate e;
  const double noisy = NoisyLength(spec.id);
  e.predicted = noisy > generated ? noisy : OverrunGuess(generated);
  residuals_.Describe(&e);
  return e;
}

void NoisyOracleEstimator::Observe(const RequestSpec& spec, int32_t output_tokens, double predicted_at_admission) {
  residuals_.Add(output_tokens - predicted_at_admission);
}

}  // namespace cacheopt
