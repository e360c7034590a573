// `text` (CACHEOPT.md C1, real engine): an online regressor on the prompt's
// hashed n-grams plus its length, trained only on finished requests.
//
// Features of a request: a bias, a one-hot prompt-length bucket
// (PromptBucket, as `history`), and the prompt's hashed token unigrams and
// bigrams (RequestSpec::prompt_features, cacheopt/prompt_features.h), each n-gram
// weighted by its inverse document frequency among the finished requests
// (what every prompt shares, a system prompt or a template, weighs nothing),
// the n-gram group scaled to unit norm so that a long prompt does not
// outvote the others.
// Target: log(1 + output tokens), so the model predicts a typical (geometric)
// length and one long outlier moves it little. Learning: normalized least
// mean squares, w += rate * err * x / |x|^2: each finished request pulls the
// prediction for its own features `rate` of the way to its truth; stable for
// any rate in (0, 2), no tuning of scales.
//
// Until min_bucket_samples requests have finished it predicts what `history`
// does (the prior), while already learning. Once a request has generated at
// least the regressor's prediction, the remaining-length question (C3) goes
// to the embedded `history` estimator: the median of longer lengths seen, or
// OverrunGuess. Requests without features (the simulator) use the bias and
// the length bucket alone.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cacheopt/prompt_features.h"
#include "core/estimate/estimator.h"
#include "core/estimate/history_estimator.h"
#include "core/estimate/residual_window.h"

namespace cacheopt {

class TextEstimator : public OutputLengthEstimator {
 public:
  explicit TextEstimator(const EstimatorOptions& opts);

  std::string_view name() const override { return "text"; }
  LengthEstimate Estimate(const RequestSpec& spec, int32_t generated) const override;
  void Observe(const RequestSpec& spec, int32_t output_tokens, double predicted_at_admission) override;
  double ResidualQuantile(double q) const override { return residuals_.Quantile(q); }

  double Predict(const RequestSpec& spec, int32_t generated) const;
  // The regressor's output alone, in tokens.
  double Regress(const RequestSpec& spec) const;
  int64_t finished() const { return finished_; }

 private:
  // w . x for `spec`; the n-gram values (in prompt_features' order) and |x|^2
  // when asked for.
  double Score(const RequestSpec& spec, std::vector<double>* x, double* norm2) const;
  double CachedScore(const RequestSpec& spec) const;

  EstimatorOptions opts_;
  int64_t finished_ = 0;
  double bias_ = 0;
  std::vector<double> bucket_w_;  // by PromptBucket
  std::vector<double> ngram_w_;   // by hashed feature
  std::vector<uint32_t> doc_freq_;  // finished requests holding each feature
  mutable std::vector<double> scratch_;
  struct CachedScoreEntry {
    std::shared_ptr<const std::vector<uint32_t>> features;  // keeps the key's address taken
    int32_t prompt_tokens = 0;
    double score = 0;
  };
  // Scores by features; cleared by Observe (the only thing that changes them).
  mutable std::unordered_map<const void*, CachedScoreEntry> score_cache_;
  HistoryEstimator history_;      // before enough have finished, and for overruns
  ResidualWindow residuals_;
};

}  // namespace cacheopt
