// The estimator registry: names, option checks and construction.
#include "core/estimate/estimator.h"

#include <functional>

#include "cacheopt/util/names.h"
#include "core/estimate/history_estimator.h"
#include "core/estimate/oracle_estimator.h"
#include "core/estimate/text_estimator.h"

namespace cacheopt {
namespace {

using Factory = std::function<std::unique_ptr<OutputLengthEstimator>(const EstimatorOptions&)>;

struct EstimatorEntry {
  const char* name;
  bool reads_truth;  // simulation only: needs opts.truth
  Factory make;
};

template <typename T>
Factory Make() {
  return [](const EstimatorOptions& o) { return std::make_unique<T>(o); };
}

const std::vector<EstimatorEntry>& Registry() {
  static const std::vector<EstimatorEntry> kEstimators = {
      {"history", false, Make<HistoryEstimator>()},
      {"text", false, Make<TextEstimator>()},
      {"oracle", true, Make<OracleEstimator>()},
      {"noisy-oracle", true, Make<NoisyOracleEstimator>()},
  };
  return kEstimators;
}

Status CheckOptions(const EstimatorOptions& o) {
  if (o.residual_window < 1) return Status::InvalidArgument("estimator residual_window must be >= 1");
  if (o.min_bucket_samples < 1) return Status::InvalidArgument("estimator min_bucket_samples must be >= 1");
  if (o.history_window < o.min_bucket_samples) {
    return Status::InvalidArgument("estimator history_window must be >= min_bucket_samples");
  }
  if (!(o.prior_tokens > 0)) return Status::InvalidArgument("estimator prior_tokens must be > 0");
  if (!(o.noise_spread >= 0)) return Status::InvalidArgument("estimator noise_spread must be >= 0");
  if (!(o.text_learning_rate > 0 && o.text_learning_rate < 2))
    return Status::InvalidArgument("estimator text_learning_rate must be in (0, 2)");
  return Status::Ok();
}

}  // namespace

std::vector<std::string> EstimatorNames() {
  std::vector<std::string> names;
  for (const auto& e : Registry()) names.push_back(e.name);
  return names;
}

Result<std::unique_ptr<OutputLengthEstimator>> MakeEstimator(const EstimatorOptions& opts) {
  for (const auto& e : Registry()) {
    if (opts.name != e.name) continue;
    if (e.reads_truth && !opts.truth) {
      return Status::InvalidArgument("estimator '" + opts.name +
                                     "' needs the simulator's true output lengths (simulation only)");
    }
    Status s = CheckOptions(opts);
    if (!s.ok()) return s;
    return e.make(opts);
  }
  return UnknownName("estimator", opts.name, EstimatorNames());
}

}  // namespace cacheopt
