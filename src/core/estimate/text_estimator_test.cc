#include "core/estimate/text_estimator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "core/estimate/overrun_guess.h"

namespace cacheopt {
namespace {

RequestSpec Spec(std::vector<int32_t> tokens) {
  RequestSpec s;
  s.prompt_tokens = static_cast<int32_t>(tokens.size());
  s.max_tokens = 100000;
  s.prompt_features = std::make_shared<const std::vector<uint32_t>>(PromptFeatures(tokens));
  return s;
}

// A prompt of `n` tokens: a shared body and a "keyword" token at the end.
std::vector<int32_t> Prompt(int32_t keyword, int32_t n = 40, int32_t salt = 0) {
  std::vector<int32_t> t;
  for (int32_t i = 0; i < n - 1; ++i) t.push_back(100 + (i * 7 + salt) % 50);
  t.push_back(keyword);
  return t;
}

TEST(TextEstimatorTest, FeaturesAreSortedUniqueAndInRange) {
  const std::vector<int32_t> tokens = {5, 9, 5, 9, 5, 9, 1000000};
  const auto f = PromptFeatures(tokens);
  ASSERT_FALSE(f.empty());
  EXPECT_LE(f.size(), 6u);  // unigrams 5, 9, 1e6; bigrams 5-9, 9-5, 9-1e6
  EXPECT_TRUE(std::is_sorted(f.begin(), f.end()));
  EXPECT_EQ(std::adjacent_find(f.begin(), f.end()), f.end());
  for (uint32_t d : f) EXPECT_LT(d, kTextFeatureDims);
  EXPECT_EQ(PromptFeatures(tokens), f);  // a pure function
  EXPECT_TRUE(PromptFeatures({}).empty());
}

TEST(TextEstimatorTest, PriorUntilMinSamplesThenLearnsFromFinishedRequestsOnly) {
  EstimatorOptions o;
  o.name = "text";
  o.prior_tokens = 256;
  TextEstimator t(o);
  const RequestSpec s = Spec(Prompt(7));
  for (int i = 0; i < 19; ++i) {
    t.Observe(s, 30, t.Estimate(s, 0).predicted);
    EXPECT_EQ(t.Estimate(s, 0).predicted, 256) << i;
  }
  // Estimating never changes the model.
  const double before = t.Regress(s);
  for (int i = 0; i < 10; ++i) t.Estimate(s, i);
  EXPECT_EQ(t.Regress(s), before);
  for (int i = 0; i < 40; ++i) t.Observe(s, 30, t.Estimate(s, 0).predicted);
  EXPECT_NEAR(t.Estimate(s, 0).predicted, 30, 3);
}

TEST(TextEstimatorTest, SeparatesPromptsByTheirWords) {
  // Same length, different last token: "short" prompts answer in ~10 tokens,
  // "long" ones in ~400. A length-only estimator cannot tell them apart.
  EstimatorOptions o;
  TextEstimator t(o);
  for (int i = 0; i < 400; ++i) {
    const bool is_long = i % 2 == 1;
    const RequestSpec s = Spec(Prompt(is_long ? 11 : 12, 40, i % 13));
    t.Observe(s, is_long ? 400 : 10, t.Estimate(s, 0).predicted);
  }
  // New prompts of the same two kinds.
  const double short_p = t.Estimate(Spec(Prompt(12, 41, 5)), 0).predicted;
  const double long_p = t.Estimate(Spec(Prompt(11, 41, 5)), 0).predicted;
  EXPECT_LT(short_p, 40);
  EXPECT_GT(long_p, 150);
  // A length-only estimator predicts one number for both.
  HistoryEstimator h(o);
  for (int i = 0; i < 400; ++i) h.Observe(Spec(Prompt(i % 2 == 1 ? 11 : 12, 40, i % 13)), i % 2 == 1 ? 400 : 10, 0);
  EXPECT_EQ(h.Estimate(Spec(Prompt(12, 41, 5)), 0).predicted, h.Estimate(Spec(Prompt(11, 41, 5)), 0).predicted);
}

TEST(TextEstimatorTest, OverrunsGoToHistory) {
  EstimatorOptions o;
  TextEstimator t(o);
  const RequestSpec s = Spec(Prompt(3));
  for (int i = 0; i < 50; ++i) t.Observe(s, 20 + i % 3, 0);
  // Past every length seen: a little more than generated.
  EXPECT_EQ(t.Estimate(s, 500).predicted, OverrunGuess(500));
  EXPECT_GT(t.Estimate(s, 0).predicted, 0);
}

TEST(TextEstimatorTest, WithoutFeaturesUsesLengthAlone) {
  EstimatorOptions o;
  TextEstimator t(o);
  RequestSpec s;
  s.prompt_tokens = 64;
  s.max_tokens = 1000;
  for (int i = 0; i < 100; ++i) t.Observe(s, 50, t.Estimate(s, 0).predicted);
  EXPECT_NEAR(t.Estimate(s, 0).predicted, 50, 3);
  EXPECT_TRUE(std::isfinite(t.ResidualQuantile(0.9)));
}

TEST(TextEstimatorTest, ByName) {
  EstimatorOptions o;
  o.name = "text";
  auto e = MakeEstimator(o);
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ((*e)->name(), "text");
}

}  // namespace
}  // namespace cacheopt
