#include "trace/synthetic.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace cacheopt {
namespace {

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

TEST(SyntheticTraceTest, ShapeResemblesAzureConversation) {
  const Trace t = SyntheticTrace(1, 50000);
  EXPECT_EQ(t.format, "synthetic");
  EXPECT_EQ(t.source, "synthetic(seed=1,rows=50000)");
  EXPECT_TRUE(t.has_timestamps);
  ASSERT_EQ(t.rows.size(), 50000u);
  EXPECT_EQ(t.rows[0].arrival_s, 0.0);
  std::vector<double> prompt, output, gaps;
  for (size_t i = 0; i < t.rows.size(); ++i) {
    const TraceRow& r = t.rows[i];
    ASSERT_GE(r.prompt_tokens, 1);
    ASSERT_GE(r.output_tokens, 1);
    prompt.push_back(r.prompt_tokens);
    output.push_back(r.output_tokens);
    if (i > 0) {
      ASSERT_GE(r.arrival_s, t.rows[i - 1].arrival_s);
      gaps.push_back(r.arrival_s - t.rows[i - 1].arrival_s);
    }
  }
  const auto mean = [](const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s / v.size();
  };
  EXPECT_NEAR(mean(prompt) / kSyntheticPromptMean, 1, 0.02);
  EXPECT_NEAR(Median(prompt) / kSyntheticPromptMedian, 1, 0.02);
  EXPECT_NEAR(mean(output) / kSyntheticOutputMean, 1, 0.04);
  EXPECT_NEAR(Median(output) / kSyntheticOutputMedian, 1, 0.03);
  const double g = mean(gaps);
  double var = 0;
  for (double x : gaps) var += (x - g) * (x - g);
  var /= gaps.size();
  EXPECT_NEAR(g * kSyntheticRateRps, 1, 0.02);
  EXPECT_NEAR(std::sqrt(var) / g / kSyntheticArrivalCv, 1, 0.05);
}

TEST(SyntheticTraceTest, DeterministicPerSeed) {
  const Trace a = SyntheticTrace(7, 100), b = SyntheticTrace(7, 100), c = SyntheticTrace(8, 100);
  bool differs = false;
  for (size_t i = 0; i < 100; ++i) {
    ASSERT_EQ(a.rows[i].arrival_s, b.rows[i].arrival_s);
    ASSERT_EQ(a.rows[i].prompt_tokens, b.rows[i].prompt_tokens);
    ASSERT_EQ(a.rows[i].output_tokens, b.rows[i].output_tokens);
    differs |= a.rows[i].prompt_tokens != c.rows[i].prompt_tokens;
  }
  EXPECT_TRUE(differs);
  // A shorter trace is a prefix of a longer one with the same seed.
  const Trace longer = SyntheticTrace(7, 200);
  EXPECT_EQ(longer.rows[99].prompt_tokens, a.rows[99].prompt_tokens);
  EXPECT_EQ(longer.rows[99].arrival_s, a.rows[99].arrival_s);
}

TEST(SyntheticTraceTest, NoRows) { EXPECT_TRUE(SyntheticTrace(1, 0).rows.empty()); }

}  // namespace
}  // namespace cacheopt
