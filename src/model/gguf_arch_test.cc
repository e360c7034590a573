// GGUF architectures beyond Llama 2 (docs/models.md): Llama 3, Qwen2 and
// Mistral files as make-model writes them, and the errors for what the
// loader does not support.
#include <gtest/gtest.h>

#include "model/gguf_builder.h"
#include "model/gguf_loader.h"
#include "model/model_test_util.h"
#include "model/model_writer.h"
#include "model/random_model.h"

namespace cacheopt {
namespace {

using testing::FailsWith;

class GgufArchTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::ScratchDir("gguf_arch"); }
  Model Make(const std::string& style) {
    auto m = MakeRandomModel("micro", 5, style);
    EXPECT_TRUE(m.ok()) << m.status().message();
    return m.ok() ? std::move(*m) : Model{};
  }
  Result<Model> RoundTrip(const Model& m) {
    const std::string path = dir_ + "/" + m.config.architecture + ".gguf";
    EXPECT_TRUE(WriteGguf(m, path, false).ok());
    return LoadGguf(path, 0);
  }
  template <typename Edit>
  Result<Model> LoadEdited(const Model& m, Edit edit) {
    GgufBuilder b = GgufBuilderForModel(m, false);
    edit(b);
    const std::string path = dir_ + "/edited.gguf";
    std::filesystem::remove(path);
    EXPECT_TRUE(b.Write(path).ok());
    return LoadGguf(path, 0);
  }
  std::string dir_;
};

void ExpectSameVocabulary(const Model& a, const Model& b) {
  EXPECT_EQ(a.vocab.kind, b.vocab.kind);
  EXPECT_EQ(a.vocab.pieces, b.vocab.pieces);
  EXPECT_EQ(a.vocab.merges, b.vocab.merges);
  EXPECT_EQ(a.vocab.token_types, b.vocab.token_types);
  EXPECT_EQ(a.vocab.pre_tokenizer, b.vocab.pre_tokenizer);
  EXPECT_EQ(a.vocab.add_bos, b.vocab.add_bos);
  EXPECT_EQ(a.config.bos_id, b.config.bos_id);
  EXPECT_EQ(a.config.eos_id, b.config.eos_id);
  EXPECT_EQ(a.config.stop_ids, b.config.stop_ids);
  EXPECT_EQ(a.chat_template, b.chat_template);
}

TEST_F(GgufArchTest, Llama3RoundTrips) {
  const Model m = Make("llama3");
  EXPECT_LT(m.config.n_kv_heads, m.config.n_heads);
  EXPECT_FALSE(m.weights.rope_freq_factors.empty());
  EXPECT_NE(m.weights.wcls, m.weights.token_embedding);
  auto back = RoundTrip(m);
  ASSERT_TRUE(back.ok()) << back.status().message();
  testing::ExpectSameWeights(m, *back);
  ExpectSameVocabulary(m, *back);
  EXPECT_EQ(back->config.architecture, "llama");
  EXPECT_EQ(back->config.rope_theta, 500000.0f);
  EXPECT_EQ(back->config.rope_style, ModelConfig::RopeStyle::kAdjacentPairs);
  EXPECT_EQ(back->weights.rope_freq_factors, m.weights.rope_freq_factors);
  EXPECT_EQ(back->weights.wcls, m.weights.wcls);
  EXPECT_EQ(back->vocab.pre_tokenizer, "llama-bpe");
  EXPECT_TRUE(back->vocab.add_bos);
  EXPECT_EQ(back->vocab.pieces[back->config.bos_id], "<|begin_of_text|>");
  // EOS and <|eot_id|> both end a sequence.
  EXPECT_EQ(back->config.stop_ids.size(), 2u);
}

TEST_F(GgufArchTest, Qwen2RoundTripsWithBiases) {
  const Model m = Make("qwen2");
  auto back = RoundTrip(m);
  ASSERT_TRUE(back.ok()) << back.status().message();
  testing::ExpectSameWeights(m, *back);
  ExpectSameVocabulary(m, *back);
  EXPECT_EQ(back->config.architecture, "qwen2");
  EXPECT_EQ(back->config.rope_style, ModelConfig::RopeStyle::kHalfSplit);
  EXPECT_EQ(back->config.rms_eps, 1e-6f);
  EXPECT_FALSE(back->vocab.add_bos);
  EXPECT_EQ(back->weights.wcls, back->weights.token_embedding);  // tied
  for (size_t l = 0; l < m.weights.layers.size(); ++l) {
    EXPECT_EQ(back->weights.layers[l].bq, m.weights.layers[l].bq);
    EXPECT_EQ(back->weights.layers[l].bk, m.weights.layers[l].bk);
    EXPECT_EQ(back->weights.layers[l].bv, m.weights.layers[l].bv);
    EXPECT_EQ(back->weights.layers[l].bq.size(), static_cast<size_t>(m.config.dim));
  }
}

TEST_F(GgufArchTest, MistralKeepsItsSlidingWindow) {
  const Model m = Make("mistral");
  auto back = RoundTrip(m);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->config.sliding_window, m.config.context / 8);
  EXPECT_EQ(back->vocab.kind, Vocabulary::Kind::kSentencePiece);
  EXPECT_EQ(back->chat_template, m.chat_template);
}

TEST_F(GgufArchTest, LinearRopeScaling) {
  const Model m = Make("llama3");
  auto back = LoadEdited(m, [](GgufBuilder& b) {
    b.Set("llama.rope.scaling.type", GgufValue::String("linear"));
    b.Set("llama.rope.scaling.factor", GgufValue::F32(4.0f));
  });
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->config.rope_freq_scale, 0.25f);
  back = LoadEdited(m, [](GgufBuilder& b) { b.Set("llama.rope.scaling.type", GgufValue::String("none")); });
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->config.rope_freq_scale, 1.0f);
}

TEST_F(GgufArchTest, UnsupportedThingsAreNamed) {
  const Model llama3 = Make("llama3");
  const Model qwen2 = Make("qwen2");
  EXPECT_TRUE(FailsWith(
      LoadEdited(llama3, [](GgufBuilder& b) { b.Set("general.architecture", GgufValue::String("gemma2")); }),
      "general.architecture is 'gemma2', which is not supported"));
  EXPECT_TRUE(FailsWith(LoadEdited(llama3, [](GgufBuilder& b) { b.Remove("tokenizer.ggml.merges"); }),
                        "no tokenizer.ggml.merges"));
  EXPECT_TRUE(FailsWith(LoadEdited(llama3, [](GgufBuilder& b) { b.Set("tokenizer.ggml.pre", GgufValue::String("gpt-4o")); }),
                        "tokenizer.ggml.pre is 'gpt-4o'"));
  EXPECT_TRUE(FailsWith(LoadEdited(llama3, [](GgufBuilder& b) { b.Remove("tokenizer.ggml.pre"); }),
                        "tokenizer.ggml.pre is ''"));
  EXPECT_TRUE(FailsWith(LoadEdited(llama3, [](GgufBuilder& b) { b.Set("tokenizer.ggml.model", GgufValue::String("t5")); }),
                        "tokenizer.ggml.model is 't5'; supported: llama (SentencePiece), gpt2 (byte-level BPE)"));
  EXPECT_TRUE(FailsWith(
      LoadEdited(llama3, [](GgufBuilder& b) { b.Set("llama.rope.scaling.type", GgufValue::String("yarn")); }),
      "llama.rope.scaling.type is 'yarn'"));
  EXPECT_TRUE(FailsWith(LoadEdited(llama3, [](GgufBuilder& b) { b.FindTensor("rope_freqs.weight")->dims = {1}; }),
                        "tensor 'rope_freqs.weight' has shape [1]"));
  EXPECT_TRUE(FailsWith(
      LoadEdited(llama3, [](GgufBuilder& b) { b.Set("llama.attention.key_length", GgufValue::U32(8)); }),
      "llama.attention.key_length is 8"));
  EXPECT_TRUE(FailsWith(LoadEdited(qwen2,
                                   [&](GgufBuilder& b) {
                                     b.AddTensor("blk.0.ffn_up.bias", {static_cast<uint64_t>(qwen2.config.hidden_dim)},
                                                 qwen2.weights.layers[0].w1.data(), false);
                                   }),
                        "tensor 'blk.0.ffn_up.bias' is a bias this qwen2 loader does not support"));
  EXPECT_TRUE(FailsWith(LoadEdited(qwen2, [](GgufBuilder& b) { b.FindTensor("blk.1.attn_k.bias")->dims = {3}; }),
                        "tensor 'blk.1.attn_k.bias' has shape [3]"));
}

}  // namespace
}  // namespace cacheopt
