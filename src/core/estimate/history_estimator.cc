#include "core/estimate/history_estimator.h"

#include <algorithm>
#include <bit>

#include "core/estimate/overrun_guess.h"

namespace cacheopt {

int PromptBucket(int32_t prompt_tokens) {
  return std::bit_width(static_cast<uint32_t>(std::max(prompt_tokens, 1))) - 1;
}

HistoryEstimator::HistoryEstimator(const EstimatorOptions& opts)
    : opts_(opts),
      global_(static_cast<size_t>(opts.history_window)),
      buckets_(kNumPromptBuckets, SortedWindow(static_cast<size_t>(opts.history_window))),
      cells_(opts.split_by_class ? kNumSloClasses * kNumPromptBuckets : 0,
             SortedWindow(static_cast<size_t>(opts.history_window))),
      residuals_(opts.residual_window) {
  opts_.truth = nullptr;  // history never reads the truth
}

size_t HistoryEstimator::CellIndex(const RequestSpec& spec) {
  const int cls = std::clamp(static_cast<int>(spec.slo_class), 0, kNumSloClasses - 1);
  return static_cast<size_t>(cls * kNumPromptBuckets + PromptBucket(spec.prompt_tokens));
}

double HistoryEstimator::Predict(const RequestSpec& spec, int32_t generated) const {
  if (finished_ < opts_.min_bucket_samples) {
    return opts_.prior_tokens > generated ? opts_.prior_tokens : OverrunGuess(generated);
  }
  const auto enough = [&](const SortedWindow& w) {
    return w.Above(generated).size() >= static_cast<size_t>(opts_.min_bucket_samples);
  };
  const SortedWindow& bucket = buckets_[PromptBucket(spec.prompt_tokens)];
  const SortedWindow* source = &global_;
  if (!cells_.empty() && enough(cells_[CellIndex(spec)])) {
    source = &cells_[CellIndex(spec)];
  } else if (enough(bucket)) {
    source = &bucket;
  }
  const std::span<const double> above = source->Above(generated);
  if (above.empty()) return OverrunGuess(generated);
  return PercentileOfSorted(above, 50);
}

LengthEstimate HistoryEstimator::Estimate(const RequestSpec& spec, int32_t generated) const {
  LengthEstimate e;
  e.predicted = Predict(spec, generated);
  residuals_.Describe(&e);
  return e;
}

void HistoryEstimator::Observe(const RequestSpec& spec, int32_t output_tokens, double predicted_at_admission) {
  ++finished_;
  global_.Add(output_tokens);
  buckets_[PromptBucket(spec.prompt_tokens)].Add(output_tokens);
  if (!cells_.empty()) cells_[CellIndex(spec)].Add(output_tokens);
  residuals_.Add(output_tokens - predicted_at_admission);
}

}  // namespace cacheopt
