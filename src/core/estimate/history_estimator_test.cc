#include "core/estimate/history_estimator.h"

#include <gtest/gtest.h>

#include "core/estimate/overrun_guess.h"

namespace cacheopt {
namespace {

RequestSpec Spec(int32_t prompt, SloClass cls = SloClass::kMedium) {
  RequestSpec s;
  s.prompt_tokens = prompt;
  s.max_tokens = 100000;
  s.slo_class = cls;
  return s;
}

TEST(HistoryEstimatorTest, PromptBucketsArePowersOfTwo) {
  EXPECT_EQ(PromptBucket(0), 0);
  EXPECT_EQ(PromptBucket(1), 0);
  EXPECT_EQ(PromptBucket(2), 1);
  EXPECT_EQ(PromptBucket(3), 1);
  EXPECT_EQ(PromptBucket(4), 2);
  EXPECT_EQ(PromptBucket(1023), 9);
  EXPECT_EQ(PromptBucket(1024), 10);
  EXPECT_EQ(PromptBucket(INT32_MAX), kNumPromptBuckets - 1);
}

TEST(HistoryEstimatorTest, PriorUntilMinSamplesHaveFinished) {
  EstimatorOptions o;
  o.prior_tokens = 256;
  HistoryEstimator h(o);
  for (int i = 0; i < 19; ++i) {
    h.Observe(Spec(100), 40, 256);
    EXPECT_EQ(h.Estimate(Spec(100), 0).predicted, 256) << i;
  }
  EXPECT_EQ(h.Estimate(Spec(100), 300).predicted, OverrunGuess(300));  // past the prior
  h.Observe(Spec(100), 40, 256);  // the 20th
  EXPECT_EQ(h.Estimate(Spec(100), 0).predicted, 40);
}

TEST(HistoryEstimatorTest, SparseBucketFallsBackToGlobal) {
  EstimatorOptions o;
  o.split_by_class = false;
  HistoryEstimator h(o);
  for (int i = 0; i < 100; ++i) h.Observe(Spec(10), 100, 0);  // bucket 3
  for (int i = 0; i < 19; ++i) h.Observe(Spec(1000), 1000, 0);  // bucket 9
  // Global: 100 x 100 and 19 x 1000 -> median 100.
  EXPECT_EQ(h.Estimate(Spec(1000), 0).predicted, 100);
  h.Observe(Spec(1000), 1000, 0);  // 20 samples: the bucket speaks
  EXPECT_EQ(h.Estimate(Spec(1000), 0).predicted, 1000);
  EXPECT_EQ(h.Estimate(Spec(600), 0).predicted, 1000);  // [512, 1023]: the same bucket
  EXPECT_EQ(h.Estimate(Spec(10), 0).predicted, 100);
  // An empty bucket uses the global lengths.
  EXPECT_EQ(h.Estimate(Spec(40000), 0).predicted, 100);
}

TEST(HistoryEstimatorTest, ClassCellsWhenTheyHaveEnoughSamples) {
  EstimatorOptions o;
  HistoryEstimator h(o);
  for (int i = 0; i < 30; ++i) h.Observe(Spec(100, SloClass::kTight), 50, 0);
  for (int i = 0; i < 10; ++i) h.Observe(Spec(100, SloClass::kLoose), 500, 0);
  EXPECT_EQ(h.Estimate(Spec(100, SloClass::kTight), 0).predicted, 50);
  // Loose has 10 < 20: its bucket (all classes: 30 x 50, 10 x 500) -> 50.
  EXPECT_EQ(h.Estimate(Spec(100, SloClass::kLoose), 0).predicted, 50);
  for (int i = 0; i < 10; ++i) h.Observe(Spec(100, SloClass::kLoose), 500, 0);
  EXPECT_EQ(h.Estimate(Spec(100, SloClass::kLoose), 0).predicted, 500);

  o.split_by_class = false;
  HistoryEstimator flat(o);
  for (int i = 0; i < 30; ++i) flat.Observe(Spec(100, SloClass::kTight), 50, 0);
  for (int i = 0; i < 40; ++i) flat.Observe(Spec(100, SloClass::kLoose), 500, 0);
  EXPECT_EQ(flat.Estimate(Spec(100, SloClass::kTight), 0).predicted, 500);
}

TEST(HistoryEstimatorTest, ConditionalMedianGivenGenerated) {
  EstimatorOptions o;
  o.min_bucket_samples = 5;
  HistoryEstimator h(o);
  for (int len = 10; len <= 200; len += 10) h.Observe(Spec(64), len, 0);  // 20 samples
  EXPECT_EQ(h.Estimate(Spec(64), 0).predicted, 105);   // median of 10..200
  EXPECT_EQ(h.Estimate(Spec(64), 100).predicted, 155);  // median of 110..200
  EXPECT_EQ(h.Estimate(Spec(64), 149).predicted, 175);  // 150..200
  // 190 leaves one sample above: too few for the bucket, global has the same one.
  EXPECT_EQ(h.Estimate(Spec(64), 190).predicted, 200);
  EXPECT_EQ(h.Estimate(Spec(64), 200).predicted, OverrunGuess(200));
  EXPECT_EQ(OverrunGuess(200), 225);  // 200 + 200 / 8
  EXPECT_EQ(OverrunGuess(20), 36);    // at least 16 more
}

TEST(HistoryEstimatorTest, ConditionalCountDecidesTheFallback) {
  EstimatorOptions o;
  o.min_bucket_samples = 5;
  o.split_by_class = false;
  HistoryEstimator h(o);
  for (int i = 0; i < 10; ++i) h.Observe(Spec(64), 100, 0);  // bucket 6: short only
  for (int i = 0; i < 10; ++i) h.Observe(Spec(8), 400, 0);   // bucket 3: long
  EXPECT_EQ(h.Estimate(Spec(64), 0).predicted, 100);
  // Past 100 the bucket has nothing above; the global lengths above 150 say 400.
  EXPECT_EQ(h.Estimate(Spec(64), 150).predicted, 400);
}

TEST(HistoryEstimatorTest, WindowForgetsOldLengths) {
  EstimatorOptions o;
  o.history_window = 50;
  HistoryEstimator h(o);
  for (int i = 0; i < 50; ++i) h.Observe(Spec(100), 100, 0);
  EXPECT_EQ(h.Estimate(Spec(100), 0).predicted, 100);
  for (int i = 0; i < 26; ++i) h.Observe(Spec(100), 500, 0);
  EXPECT_EQ(h.Estimate(Spec(100), 0).predicted, 500);  // 26 of the last 50
  for (int i = 0; i < 24; ++i) h.Observe(Spec(100), 500, 0);
  EXPECT_EQ(h.Estimate(Spec(100), 99).predicted, 500);  // no 100 left at all
}

TEST(HistoryEstimatorTest, ResidualsGiveDirectionAndRange) {
  EstimatorOptions o;
  HistoryEstimator h(o);
  for (int i = 0; i < 30; ++i) h.Observe(Spec(100), 100, 50 + i);  // residuals 50..21
  const LengthEstimate e = h.Estimate(Spec(100), 0);
  EXPECT_TRUE(e.truth_above);
  EXPECT_NEAR(e.range_above, 0.98 * 29, 1e-9);
  EXPECT_EQ(e.range_below, 0);
  EXPECT_NEAR(h.ResidualQuantile(0.5), 35.5, 1e-9);
}

}  // namespace
}  // namespace cacheopt
