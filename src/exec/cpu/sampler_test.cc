#include "exec/cpu/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
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

TEST(SamplerTest, BiasAndPenaltiesMatchHandComputedLogits) {
  // vLLM's order: bias, then repetition (prompt + output, each id once),
  // then frequency and presence (output counts).
  Sampler s;
  SamplingParams p;
  p.logit_bias = {{2, 1.5f}};
  p.repetition_penalty = 2.0f;
  p.frequency_penalty = 0.5f;
  p.presence_penalty = 0.25f;
  const std::vector<int32_t> prompt = {0}, output = {1, 3, 3};
  SampleContext ctx;
  ctx.prompt = prompt;
  ctx.output = output;
  std::vector<float> l = {2.0f, -1.0f, 0.5f, 3.0f};
  s.ApplyPenalties(l, p, ctx);
  // id 0: 2 / 2; id 1: -1 * 2 - 0.5 * 1 - 0.25; id 2: 0.5 + 1.5; id 3: 3 / 2 - 0.5 * 2 - 0.25.
  EXPECT_FLOAT_EQ(l[0], 1.0f);
  EXPECT_FLOAT_EQ(l[1], -2.75f);
  EXPECT_FLOAT_EQ(l[2], 2.0f);
  EXPECT_FLOAT_EQ(l[3], 0.25f);
  // The draw sees them: greedy picks id 2, where the raw argmax was id 3.
  std::vector<float> raw = {2.0f, -1.0f, 0.5f, 3.0f};
  EXPECT_EQ(s.Sample(raw, p, ctx).token, 2);
  // Scratch state does not leak into the next call.
  SamplingParams plain;
  EXPECT_EQ(s.Sample(raw, plain, ctx).token, 3);
  std::vector<float> again = {2.0f, -1.0f, 0.5f, 3.0f};
  s.ApplyPenalties(again, p, ctx);
  EXPECT_FLOAT_EQ(again[3], 0.25f);
}

TEST(SamplerTest, LogprobsAreTheRawSoftmaxWhateverTheProcessing) {
  Sampler s;
  std::vector<float> l = Logits(5, 40);
  SamplingParams p = Temp(0.7f, 3);
  p.logprobs = 3;
  p.frequency_penalty = 1.0f;
  p.logit_bias = {{7, -5.0f}};
  const std::vector<int32_t> out = {7, 7, 2};
  SampleContext ctx;
  ctx.output = out;
  SampledToken t = s.Sample(l, p, ctx);
  double sum = 0;
  for (float x : l) sum += std::exp(static_cast<double>(x));
  EXPECT_NEAR(t.logprob, l[t.token] - std::log(sum), 1e-5);
  ASSERT_EQ(t.top_logprobs.size(), 3u);
  std::vector<int32_t> ids(l.size());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>(i);
  std::sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) { return l[a] > l[b]; });
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(t.top_logprobs[i].first, ids[i]);
    EXPECT_NEAR(t.top_logprobs[i].second, l[ids[i]] - std::log(sum), 1e-5);
  }
  SamplingParams none = p;
  none.logprobs = -1;
  SampledToken u = s.Sample(l, none, ctx);
  EXPECT_EQ(u.token, t.token);  // asking for logprobs does not change the draw
  EXPECT_TRUE(u.top_logprobs.empty());
}

TEST(SamplerTest, MaskLimitsTheDrawAndAnEmptyMaskEnds) {
  Sampler s;
  std::vector<float> l = Logits(8, 10);
  SamplingParams p = Temp(1.0f, 4);
  p.stop_ids = {2};
  std::vector<uint8_t> allowed(10, 0);
  allowed[6] = allowed[9] = 1;
  SampleContext ctx;
  ctx.allowed = &allowed;
  for (int i = 0; i < 20; ++i) {
    p.seed = static_cast<uint64_t>(i);
    const int32_t t = s.Sample(l, p, ctx).token;
    EXPECT_TRUE(t == 6 || t == 9) << t;
  }
  std::fill(allowed.begin(), allowed.end(), 0);
  SampledToken end = s.Sample(l, p, ctx);
  EXPECT_EQ(end.token, 2);
  EXPECT_TRUE(end.eos);
}

TEST(SamplerTest, PenaltyRangesAreValidated) {
  SamplingParams p;
  p.presence_penalty = 2.5f;
  EXPECT_FALSE(ValidateSamplingParams(p).ok());
  p = {};
  p.repetition_penalty = 0;
  EXPECT_FALSE(ValidateSamplingParams(p).ok());
  p = {};
  p.logit_bias = {{1, 101.0f}};
  EXPECT_FALSE(ValidateSamplingParams(p).ok());
}

// ArgMax (vectorised where the CPU allows) against the plain loop: first
// index of the largest value, NaNs skipped unless at index 0, ties (and +0 vs
// -0) to the lowest id, every length and tail.
TEST(Sampler, ArgMaxMatchesTheScalarLoop) {
  auto scalar = [](const std::vector<float>& v) {
    int32_t best = 0;
    for (size_t i = 1; i < v.size(); ++i)
      if (v[i] > v[static_cast<size_t>(best)]) best = static_cast<int32_t>(i);
    return best;
  };
  const float nan = std::nanf(""), inf = std::numeric_limits<float>::infinity();
  uint64_t seed = 7;
  for (int32_t n : {1, 2, 15, 16, 17, 31, 32, 33, 47, 64, 100, 1000, 32000}) {
    for (int rep = 0; rep < 40; ++rep) {
      std::vector<float> v = Logits(static_cast<uint64_t>(n * 1000 + rep), n);
      for (float& x : v) {
        seed = SplitMixHash(seed);
        switch (seed % 13) {
          case 0: x = std::round(x); break;  // ties
          case 1: x = nan; break;
          case 2: x = -inf; break;
          case 3: x = (seed >> 8) % 2 ? 0.0f : -0.0f; break;
          default: break;
        }
      }
      if (rep % 5 == 0) v[0] = nan;
      if (rep % 7 == 0) v.back() = 100.0f;
      if (rep % 11 == 0) std::fill(v.begin(), v.end(), -inf);
      ASSERT_EQ(ArgMax(v), scalar(v)) << "n " << n << " rep " << rep;
    }
  }
}

}  // namespace
}  // namespace cacheopt
