// `history` (CACHEOPT.md C1): learns only from finished requests. It keeps the
// recent output lengths per cell (SLO class tag x prompt-length bucket), per
// bucket and globally, and predicts the median of the lengths that exceed
// what the request has generated so far (so the same call gives the admission
// estimate at g = 0 and the remaining-length estimate C3 needs later).
//
// Buckets: floor(log2(prompt_tokens)), i.e. [1], [2, 3], [4, 7], ...,
// [2^k, 2^(k+1) - 1]; prompts <= 0 go to the first.
// Fallback: the most specific of cell -> bucket -> global that holds at least
// min_bucket_samples lengths above g; if none does, the global lengths above g
// however few (real data beats a blind guess); if no length exceeds g,
// OverrunGuess(g). Before min_bucket_samples requests have finished at all:
// prior_tokens (OverrunGuess(g) once g has passed it).
// The class split uses spec.slo_class as the client's tag; every request
// carries one, and with split_by_class off the cell level is skipped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/estimate/estimator.h"
#include "core/estimate/residual_window.h"
#include "core/estimate/sorted_window.h"

namespace cacheopt {

// The prompt-length bucket of a request: floor(log2(max(prompt_tokens, 1))).
int PromptBucket(int32_t prompt_tokens);
inline constexpr int kNumPromptBuckets = 31;  // int32 prompts: buckets 0..30

class HistoryEstimator : public OutputLengthEstimator {
 public:
  explicit HistoryEstimator(const EstimatorOptions& opts);

  std::string_view name() const override { return "history"; }
  LengthEstimate Estimate(const RequestSpec& spec, int32_t generated) const override;
  void Observe(const RequestSpec& spec, int32_t output_tokens, double predicted_at_admission) override;
  double ResidualQuantile(double q) const override { return residuals_.Quantile(q); }

  // The prediction alone (Estimate without the residual window's part).
  double Predict(const RequestSpec& spec, int32_t generated) const;

 private:
  static size_t CellIndex(const RequestSpec& spec);

  EstimatorOptions opts_;
  int64_t finished_ = 0;               // all Observe calls, not just the windowed ones
  SortedWindow global_;
  std::vector<SortedWindow> buckets_;  // by PromptBucket
  std::vector<SortedWindow> cells_;    // by SloClass * kNumPromptBuckets + bucket
  ResidualWindow residuals_;
};

}  // namespace cacheopt
