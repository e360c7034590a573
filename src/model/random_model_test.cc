#include "model/random_model.h"

#include <gtest/gtest.h>

#include <cmath>

#include "model/model_check.h"
#include "model/model_test_util.h"
#include "model/random_vocab.h"
#include "model/tokenizer.h"

namespace cacheopt {
namespace {

using testing::FailsWith;

TEST(RandomModelTest, DeterministicPerSeed) {
  auto a = MakeRandomModel("tiny", 42);
  auto b = MakeRandomModel("tiny", 42);
  auto c = MakeRandomModel("tiny", 43);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  testing::ExpectSameWeights(*a, *b);
  EXPECT_EQ(a->vocab.pieces, b->vocab.pieces);
  EXPECT_NE(a->weights.layers[0].wq, c->weights.layers[0].wq);
  EXPECT_EQ(a->vocab.pieces, c->vocab.pieces);  // the vocabulary depends on the size only
  // Pinned values: a change here changes every generated model.
  EXPECT_EQ(a->weights.token_embedding[0], -0x1.07d7f8p-6f);
  EXPECT_EQ(a->weights.layers[4].w3.back(), 0x1.fb324ap-11f);
  EXPECT_EQ(a->vocab.pieces[kRandomVocabFirstMerge], " t");
  EXPECT_EQ(a->vocab.pieces[400], " lit");
  EXPECT_EQ(a->source, "generated:tiny");
}

TEST(RandomModelTest, ShapesAndScale) {
  auto m = MakeRandomModel("tiny", 1);
  ASSERT_TRUE(m.ok());
  const ModelConfig& c = m->config;
  EXPECT_EQ(c.dim, 64);
  EXPECT_EQ(c.hidden_dim, 172);
  EXPECT_EQ(c.n_layers, 5);
  EXPECT_EQ(c.n_heads, 8);
  EXPECT_EQ(c.n_kv_heads, 4);
  EXPECT_EQ(c.vocab_size, 512);
  EXPECT_EQ(c.context, 512);
  EXPECT_TRUE(CheckWeights(*m, "tiny").ok());
  EXPECT_EQ(m->weights.wcls, m->weights.token_embedding);
  double sum_sq = 0;
  float max_abs = 0;
  for (float x : m->weights.layers[2].w1) {
    sum_sq += x * x;
    max_abs = std::max(max_abs, std::fabs(x));
  }
  EXPECT_NEAR(std::sqrt(sum_sq / m->weights.layers[2].w1.size()), 0.02, 0.002);
  EXPECT_LE(max_abs, 0.0347f);
  EXPECT_EQ(m->weights.layers[2].rms_att, std::vector<float>(64, 1.0f));
}

TEST(RandomModelTest, LargeConfigsHaveTheStoriesShapes) {
  auto c15 = RandomModelConfig("15m");
  auto c110 = RandomModelConfig("110m");
  ASSERT_TRUE(c15.ok() && c110.ok());
  EXPECT_EQ(c15->dim, 288);
  EXPECT_EQ(c15->n_layers, 6);
  EXPECT_EQ(c15->vocab_size, 32000);
  EXPECT_EQ(c15->context, 2048);
  EXPECT_NEAR(static_cast<double>(ParameterCount(*c15, true)), 15.2e6, 0.2e6);
  EXPECT_EQ(c110->dim, 768);
  EXPECT_EQ(c110->hidden_dim, 2048);
  EXPECT_NEAR(static_cast<double>(ParameterCount(*c110, true)), 110e6, 2e6);
  EXPECT_TRUE(RandomModelConfig("42m").ok());
  EXPECT_TRUE(FailsWith(MakeRandomModel("7b", 0), "unknown model config '7b'; allowed: micro, tiny, 15m, 42m, 110m"));
}

TEST(RandomVocabularyTest, EveryMergeIsBuiltFromEarlierPieces) {
  auto v = MakeRandomVocabulary(32000);
  ASSERT_TRUE(v.ok());
  ASSERT_EQ(v->pieces.size(), 32000u);
  const Tokenizer t(*v);
  for (int32_t id = kRandomVocabFirstMerge; id < 32000; ++id) {
    const std::string& p = v->pieces[id];
    ASSERT_EQ(t.Lookup(p), id) << "duplicate piece " << p;
    bool found = false;
    for (size_t split = 1; split < p.size() && !found; ++split) {
      const int32_t left = t.Lookup(p.substr(0, split)), right = t.Lookup(p.substr(split));
      found = left >= 0 && right >= 0 && left < id && right < id;
    }
    ASSERT_TRUE(found) << "merge " << id << " '" << p << "'";
    ASSERT_LT(v->scores[id], v->scores[id - 1] + (id == kRandomVocabFirstMerge ? 1.0f : 0.0f));
  }
  EXPECT_TRUE(FailsWith(MakeRandomVocabulary(100), "random vocabulary size 100"));
}

TEST(RandomModelTest, TokenizerRoundTrips) {
  auto m = MakeRandomModel("micro", 0);
  ASSERT_TRUE(m.ok());
  const Tokenizer t(*m);
  for (const std::string& text : std::vector<std::string>{"", "Hello, world!", "  two leading spaces", "tabs\tand\nnewlines\r\n",
                                 "caf\xC3\xA9 \xE2\x82\xAC 10 \xF0\x9F\x98\x80", "<s> </s> <0x41> <unk>",
                                 std::string("nul\0byte", 8), "\xff\xfe invalid \x80 utf8"}) {
    EXPECT_EQ(t.Decode(t.Encode(text, true, true)), text);
    const std::vector<int32_t> ids = t.Encode(text, true, false);
    ASSERT_FALSE(ids.empty());
    EXPECT_EQ(ids[0], 1);
    for (int32_t id : ids) EXPECT_TRUE(id >= 0 && id < t.vocab_size());
  }
}

}  // namespace
}  // namespace cacheopt
