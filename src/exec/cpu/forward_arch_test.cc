// Each GGUF architecture's forward pass (docs/models.md) against the float64
// reference on a generated model of its style: Llama 3 (GQA, theta 500000,
// rope_freqs factors, untied classifier), Qwen2 (Q/K/V biases, half-split
// RoPE) and Mistral (a sliding window shorter than the sequence). Each test
// also shows the reference would catch the feature missing from the engine.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <vector>

#include "exec/cpu/forward.h"
#include "exec/cpu/reference_llama.h"
#include "exec/cpu/sampler.h"
#include "model/random_model.h"

namespace cacheopt {
namespace {

constexpr int32_t kBlockSize = 4;

struct Engine {
  explicit Engine(const Model& m, int threads = 2)
      : pool(threads), arena(m.config, kBlockSize, 64, 4), fwd(m, GemmMode::kInvariant, &pool) {}
  // Logits of every row of the step ([T][vocab]).
  std::vector<float> Step(const std::vector<int32_t>& toks, int32_t start, int32_t n,
                          const std::vector<int32_t>& blocks) {
    std::vector<ForwardSeq> seqs = {{std::span<const int32_t>(toks).subspan(start, n), start, blocks, true}};
    std::vector<float> logits, all;
    fwd.Run(seqs, &arena, &logits, &all);
    return all;
  }
  ThreadPool pool;
  KvArena arena;
  Forward fwd;
};

Model Make(const std::string& style) {
  auto m = MakeRandomModel("tiny", 3, style);
  EXPECT_TRUE(m.ok()) << m.status().message();
  return std::move(*m);
}

std::vector<int32_t> Tokens(int32_t n, int32_t vocab) {
  std::vector<int32_t> t(n);
  uint64_t s = 11;
  for (int32_t& x : t) x = static_cast<int32_t>((s = SplitMixHash(s)) % static_cast<uint64_t>(vocab));
  return t;
}

// The largest |engine - reference| over every position's logits, relative
// to the largest |reference logit|: prefill of `n` tokens in chunks of 7.
double WorstRelativeError(const Model& engine_model, const Model& reference_model, int32_t n) {
  const int32_t vocab = engine_model.config.vocab_size;
  const std::vector<int32_t> toks = Tokens(n, vocab);
  std::vector<int32_t> blocks((n + kBlockSize - 1) / kBlockSize);
  std::iota(blocks.begin(), blocks.end(), 0);
  Engine e(engine_model);
  ReferenceLlama64 ref(reference_model, n);
  double worst = 0;
  for (int32_t start = 0; start < n; start += 7) {
    const int32_t len = std::min(7, n - start);
    const std::vector<float> all = e.Step(toks, start, len, blocks);
    for (int32_t i = 0; i < len; ++i) {
      const std::vector<double>& want = ref.Forward(toks[start + i], start + i);
      double scale = 0, err = 0;
      for (int32_t v = 0; v < vocab; ++v) {
        scale = std::max(scale, std::fabs(want[v]));
        err = std::max(err, std::fabs(all[static_cast<size_t>(i) * vocab + v] - want[v]));
      }
      worst = std::max(worst, err / scale);
    }
  }
  return worst;
}

// float32 against float64 through 5 layers: the engine's rounding error is
// measured at about 5e-7 of the largest logit (printed), float32's epsilon
// (1.2e-7) times a few; 1e-5 leaves a 20x margin. Each missing feature
// moves logits by more than 5e-5 (the weakest, Llama 3's frequency factors
// on an 8-wide head, by 9e-5), so the tolerance separates the two.
constexpr double kTolerance = 1e-5;
constexpr double kMissing = 5e-5;

TEST(ForwardArchTest, Llama3MatchesFloat64Reference) {
  const Model m = Make("llama3");
  ASSERT_EQ(m.config.n_kv_heads * 4, m.config.n_heads);
  const double err = WorstRelativeError(m, m, 40);
  std::printf("[ llama3: worst relative logit error vs float64: %.2e ]\n", err);
  EXPECT_LE(err, kTolerance);
  Model no_factors = m;
  no_factors.weights.rope_freq_factors.clear();
  EXPECT_GT(WorstRelativeError(no_factors, m, 40), kMissing) << "the rope_freqs factors do not matter";
}

TEST(ForwardArchTest, Qwen2MatchesFloat64Reference) {
  const Model m = Make("qwen2");
  const double err = WorstRelativeError(m, m, 40);
  std::printf("[ qwen2: worst relative logit error vs float64: %.2e ]\n", err);
  EXPECT_LE(err, kTolerance);
  Model no_bias = m;
  for (LayerWeights& L : no_bias.weights.layers) L.bk.clear();
  EXPECT_GT(WorstRelativeError(no_bias, m, 40), kMissing) << "the K bias does not matter";
  Model adjacent = m;
  adjacent.config.rope_style = ModelConfig::RopeStyle::kAdjacentPairs;
  EXPECT_GT(WorstRelativeError(adjacent, m, 40), kMissing) << "the RoPE pairing does not matter";
}

TEST(ForwardArchTest, MistralSlidingWindowMatchesFloat64Reference) {
  const Model m = Make("mistral");
  ASSERT_EQ(m.config.sliding_window, 64);
  const int32_t n = 100;  // past the window
  const double err = WorstRelativeError(m, m, n);
  std::printf("[ mistral: worst relative logit error vs float64: %.2e ]\n", err);
  EXPECT_LE(err, kTolerance);
  Model full = m;
  full.config.sliding_window = 0;
  EXPECT_GT(WorstRelativeError(full, m, n), kMissing) << "the window does not matter";
}

TEST(ForwardArchTest, LinearRopeScalingMatchesFloat64Reference) {
  Model m = Make("llama3");
  m.config.rope_freq_scale = 0.25f;
  EXPECT_LE(WorstRelativeError(m, m, 30), kTolerance);
}

// Batch invariance holds for the new features too: a sequence's logits are
// the same bits alone (one prefill) and prefilled in chunks next to another.
TEST(ForwardArchTest, BatchInvariantForEveryStyle) {
  for (const char* style : {"llama3", "qwen2", "mistral"}) {
    const Model m = Make(style);
    const int32_t vocab = m.config.vocab_size, n = 90;
    const std::vector<int32_t> a = Tokens(n, vocab);
    std::vector<int32_t> other(30);
    for (int32_t i = 0; i < 30; ++i) other[i] = (a[i] + 7) % vocab;
    std::vector<int32_t> ab(23), ob(8);
    std::iota(ab.begin(), ab.end(), 0);
    std::iota(ob.begin(), ob.end(), 30);
    Engine alone(m);
    const std::vector<float> want = alone.Step(a, 0, n, ab);
    Engine mixed(m);
    std::vector<float> got;
    for (int32_t start = 0; start < n; start += 30) {
      std::vector<ForwardSeq> seqs = {{std::span<const int32_t>(a).subspan(start, 30), start, ab, true},
                                      {std::span<const int32_t>(other).subspan(start / 3, 10), start / 3, ob, true}};
      std::vector<float> logits, all;
      mixed.fwd.Run(seqs, &mixed.arena, &logits, &all);
      got.insert(got.end(), all.begin(), all.begin() + 30 * vocab);
    }
    ASSERT_EQ(got.size(), want.size());
    EXPECT_EQ(std::memcmp(got.data(), want.data(), sizeof(float) * got.size()), 0) << style;
  }
}

}  // namespace
}  // namespace cacheopt
