#include "core/estimate/text_estimator.h"

#include <algorithm>
#include <cmath>

namespace cacheopt {
namespace {

// splitmix64's finalizer: a well-mixed hash of one 64-bit word.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint32_t Dim(uint64_t h) { return static_cast<uint32_t>(h >> (64 - kTextFeatureBits)); }

}  // namespace

std::vector<uint32_t> PromptFeatures(std::span<const int32_t> tokens) {
  std::vector<uint32_t> f;
  f.reserve(2 * tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    const uint64_t uni = Mix(static_cast<uint32_t>(tokens[i]));
    f.push_back(Dim(uni));
    if (i > 0) f.push_back(Dim(Mix(uni ^ (uint64_t{static_cast<uint32_t>(tokens[i - 1])} << 32 | 0x5bd1e995u))));
  }
  std::sort(f.begin(), f.end());
  f.erase(std::unique(f.begin(), f.end()), f.end());
  return f;
}

TextEstimator::TextEstimator(const EstimatorOptions& opts)
    : opts_(opts),
      bias_(std::log1p(opts.prior_tokens)),
      bucket_w_(kNumPromptBuckets, 0.0),
      ngram_w_(kTextFeatureDims, 0.0),
      doc_freq_(kTextFeatureDims, 0),
      history_(opts),
      residuals_(opts.residual_window) {
  opts_.truth = nullptr;  // text never reads the truth
}

double TextEstimator::Score(const RequestSpec& spec, std::vector<double>* x, double* norm2) const {
  // Three groups, each of unit norm: bias, length bucket, n-grams. An n-gram
  // weighs its inverse document frequency over the finished requests, so
  // what every prompt shares (a system prompt, a template) counts for
  // nothing and what sets a prompt apart counts most.
  double s = bias_ + bucket_w_[PromptBucket(spec.prompt_tokens)];
  double n2 = 2;
  if (x != nullptr) x->clear();
  if (spec.prompt_features != nullptr && !spec.prompt_features->empty()) {
    const auto& f = *spec.prompt_features;
    std::vector<double>& idf = x != nullptr ? *x : scratch_;
    idf.resize(f.size());
    double sq = 0;
    for (size_t i = 0; i < f.size(); ++i) {
      // A feature no finished request had carries nothing learned yet: 0.
      const uint32_t df = doc_freq_[f[i] % kTextFeatureDims];
      idf[i] = df == 0 ? 0.0 : std::log((1.0 + static_cast<double>(finished_)) / df);
      sq += idf[i] * idf[i];
    }
    if (sq > 0) {
      const double inv = 1.0 / std::sqrt(sq);
      double dot = 0;
      for (size_t i = 0; i < f.size(); ++i) {
        idf[i] *= inv;
        dot += ngram_w_[f[i] % kTextFeatureDims] * idf[i];
      }
      s += dot;
      n2 += 1;
    } else {
      std::fill(idf.begin(), idf.end(), 0.0);
    }
  }
  if (norm2 != nullptr) *norm2 = n2;
  return s;
}

double TextEstimator::CachedScore(const RequestSpec& spec) const {
  // The weights change only when a request finishes; until then a request's
  // score is looked up, not recomputed, however often it is estimated. The
  // cache holds the features it is keyed by, so no other request's can take
  // their address while the entry lives.
  if (spec.prompt_features == nullptr) return Score(spec, nullptr, nullptr);
  auto it = score_cache_.find(spec.prompt_features.get());
  if (it != score_cache_.end() && it->second.prompt_tokens == spec.prompt_tokens) return it->second.score;
  const double s = Score(spec, nullptr, nullptr);
  score_cache_[spec.prompt_features.get()] = CachedScoreEntry{spec.prompt_features, spec.prompt_tokens, s};
  return s;
}

double TextEstimator::Regress(const RequestSpec& spec) const {
  return std::max(1.0, std::expm1(std::clamp(CachedScore(spec), 0.0, 30.0)));
}

double TextEstimator::Predict(const RequestSpec& spec, int32_t generated) const {
  if (finished_ < opts_.min_bucket_samples) return history_.Predict(spec, generated);
  const double y = Regress(spec);
  return y > generated ? y : history_.Predict(spec, generated);
}

LengthEstimate TextEstimator::Estimate(const RequestSpec& spec, int32_t generated) const {
  LengthEstimate e;
  e.predicted = Predict(spec, generated);
  residuals_.Describe(&e);
  return e;
}

void TextEstimator::Observe(const RequestSpec& spec, int32_t output_tokens, double predicted_at_admission) {
  history_.Observe(spec, output_tokens, predicted_at_admission);
  residuals_.Add(output_tokens - predicted_at_admission);
  // One NLMS step toward log(1 + truth), on the features as predicted.
  std::vector<double> x;
  double norm2 = 0;
  const double err = std::log1p(std::max(output_tokens, 0)) - Score(spec, &x, &norm2);
  const double step = opts_.text_learning_rate * err / norm2;
  bias_ += step;
  bucket_w_[PromptBucket(spec.prompt_tokens)] += step;
  if (spec.prompt_features != nullptr) {
    const auto& f = *spec.prompt_features;
    for (size_t i = 0; i < f.size() && i < x.size(); ++i) ngram_w_[f[i] % kTextFeatureDims] += step * x[i];
    for (uint32_t d : f) ++doc_freq_[d % kTextFeatureDims];
  }
  ++finished_;
  score_cache_.clear();
}

}  // namespace cacheopt
