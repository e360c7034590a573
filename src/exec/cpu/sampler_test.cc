#include "exec/cpu/sampler.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace cacheopt {
namespace {

std::vector<float> Logits(uint64_t seed, int32_t n = 50) {
  std::vector<float> v(n);
  for (float& x : v) {
    seed = SplitMixHash(seed);
    x = static_cast<float>(seed >> 40) / 1048576.0f - 8.0f;
  }
  return v;
}

SamplingParams Temp(float t, uint64_t seed = 9) {
  SamplingParams p;
  p.temperature = t;
  p.seed = seed;
  return p;
}

TEST(SamplerTest, GreedyTakesTheLowestIdAmongTies) {
  Sampler s;
  std::vector<float> l = {0.5f, 3.0f, -1.0f, 3.0f, 3.0f};
  EXPECT_EQ(s.Sample(l, SamplingParams{}, 0).token, 1);
  EXPECT_EQ(ArgMax(l), 1);
}

TEST(SamplerTest, TopKOneAndTinyTopPAreGreedy) {
  Sampler s;
  std::vector<float> ties = {0.5f, 3.0f, -1.0f, 3.0f};
  for (uint64_t seed = 0; seed < 20; ++seed) {
    std::vector<float> l = seed == 0 ? ties : Logits(seed);
    int32_t greedy = ArgMax(l);
    for (int32_t i = 0; i < 5; ++i) {
      SamplingParams k = Temp(1.0f, seed);
      k.top_k = 1;
      EXPECT_EQ(s.Sample(l, k, i).token, greedy);
      SamplingParams p = Temp(1.0f, seed);
      p.top_p = 1e-6f;
      EXPECT_EQ(s.Sample(l, p, i).token, greedy);
    }
  }
}

TEST(SamplerTest, DrawDependsOnlyOnSeedAndIndex) {
  Sampler s, t;
  std::vector<float> l = Logits(3);
  std::set<int32_t> seen;
  for (int32_t i = 0; i < 40; ++i) {
    int32_t a = s.Sample(l, Temp(1.5f), i).token;
    // Another sampler, after other draws, asked out of order: same token.
    t.Sample(l, Temp(1.5f, 77), i + 3);
    EXPECT_EQ(t.Sample(l, Temp(1.5f), i).token, a);
    seen.insert(a);
  }
  EXPECT_GT(seen.size(), 3u);  // it does sample
  // A different seed gives a different sequence.
  int32_t differ = 0;
  for (int32_t i = 0; i < 40; ++i) differ += s.Sample(l, Temp(1.5f, 1), i).token != s.Sample(l, Temp(1.5f, 2), i).token;
  EXPECT_GT(differ, 0);
}

TEST(SamplerTest, TopKKeepsOnlyTheKMostLikely) {
  Sampler s;
  std::vector<float> l = {0, 5, 1, 4, 2, 3};
  SamplingParams p = Temp(100.0f);  // nearly uniform before the cut
  p.top_k = 2;
  for (int32_t i = 0; i < 200; ++i) {
    int32_t t = s.Sample(l, p, i).token;
    EXPECT_TRUE(t == 1 || t == 3) << t;
  }
}

TEST(SamplerTest, UniformIsInUnitInterval) {
  for (int64_t i = 0; i < 1000; ++i) {
    double u = UniformAt(5, i);
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
}

TEST(SamplerTest, EosAfterEndsAtExactlyThatCount) {
  Sampler s;
  SamplingParams p;
  p.eos_after = 3;
  p.stop_ids = {7};
  std::vector<float> l = Logits(1);
  EXPECT_FALSE(s.Sample(l, p, 0).eos);
  EXPECT_FALSE(s.Sample(l, p, 1).eos);
  SampledToken third = s.Sample(l, p, 2);
  EXPECT_TRUE(third.eos);
  EXPECT_EQ(third.token, ArgMax(l));  // still the sampled token
  p.ignore_eos = true;  // eos_after is a count, not a stop token
  EXPECT_TRUE(s.Sample(l, p, 2).eos);
}

// The model's own end cannot come before eos_after: stop ids are masked.
TEST(SamplerTest, EosAfterMasksStopIdsBeforeIt) {
  Sampler s;
  SamplingParams p;
  p.eos_after = 3;
  std::vector<float> l(10, 0.0f);
  l[7] = 5;  // the stop id is the greedy choice
  l[2] = 1;
  p.stop_ids = {7};
  SampledToken first = s.Sample(l, p, 0);
  EXPECT_EQ(first.token, 2);
  EXPECT_FALSE(first.eos);
  SampledToken third = s.Sample(l, p, 2);
  EXPECT_EQ(third.token, 2);
  EXPECT_TRUE(third.eos);
  // Past eos_after (max_tokens is the caller's business) the stop id is free.
  EXPECT_EQ(s.Sample(l, p, 3).token, 7);
}

TEST(SamplerTest, StopIdsEndUnlessIgnored) {
  Sampler s;
  std::vector<float> l(10, 0.0f);
  l[4] = 9;
  SamplingParams p;
  p.stop_ids = {4};
  EXPECT_EQ(s.Sample(l, p, 0).token, 4);
  EXPECT_TRUE(s.Sample(l, p, 0).eos);
  p.ignore_eos = true;
  EXPECT_EQ(s.Sample(l, p, 0).token, 4);
  EXPECT_FALSE(s.Sample(l, p, 0).eos);
  p.stop_ids = {5};
  p.ignore_eos = false;
  EXPECT_FALSE(s.Sample(l, p, 0).eos);
}

TEST(SamplerTest, MinTokensMasksStopIdsUntilReached) {
  Sampler s;
  std::vector<float> l(10, 0.0f);
  l[4] = 9;  // the stop token is the favourite
  l[6] = 8;
  SamplingParams p;
  p.stop_ids = {4, 2};
  p.min_tokens = 2;
  for (int32_t i = 0; i < 2; ++i) {
    SampledToken t = s.Sample(l, p, i);
    EXPECT_EQ(t.token, 6) << i;
    EXPECT_FALSE(t.eos);
  }
  SampledToken t = s.Sample(l, p, 2);  // the third token may stop
  EXPECT_EQ(t.token, 4);
  EXPECT_TRUE(t.eos);
  // Sampling at a temperature never draws a masked token either.
  SamplingParams q = Temp(5.0f);
  q.stop_ids = {4};
  q.min_tokens = 100;
  for (int32_t i = 0; i < 100; ++i) EXPECT_NE(s.Sample(l, q, i).token, 4);
}

TEST(SamplerTest, ValidatesParams) {
  EXPECT_TRUE(ValidateSamplingParams({}).ok());
  SamplingParams p;
  p.top_p = 0;
  EXPECT_FALSE(ValidateSamplingParams(p).ok());
  p = {};
  p.temperature = -1;
  EXPECT_FALSE(ValidateSamplingParams(p).ok());
  p = {};
  p.eos_after = 0;
  EXPECT_FALSE(ValidateSamplingParams(p).ok());
}

}  // namespace
}  // namespace cacheopt
