#include "model/gguf_loader.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "model/ggml_blocks.h"
#include "model/gguf_builder.h"
#include "model/model_quant.h"
#include "model/llama2c_loader.h"
#include "model/model_test_util.h"
#include "model/model_writer.h"
#include "model/random_model.h"

namespace cacheopt {
namespace {

using testing::FailsWith;

TEST(GgufLoaderTest, Stories260KMatchesTheLlama2cCheckpointBitForBit) {
  CACHEOPT_REQUIRE_STORIES(dir);
  auto bin = LoadLlama2c(dir + "/stories260K.bin", dir + "/tok512.bin", 0);
  auto gguf = LoadGguf(dir + "/stories260K.gguf", 512);
  ASSERT_TRUE(bin.ok()) << bin.status().message();
  ASSERT_TRUE(gguf.ok()) << gguf.status().message();
  testing::ExpectSameWeights(*bin, *gguf);
  EXPECT_EQ(gguf->vocab.pieces, bin->vocab.pieces);
  EXPECT_EQ(gguf->vocab.scores, bin->vocab.scores);
  EXPECT_EQ(gguf->vocab.max_token_length, bin->vocab.max_token_length);
  const ModelConfig& c = gguf->config;
  EXPECT_EQ(c.context, 512);
  EXPECT_EQ(c.file_context, 2048);
  EXPECT_EQ(c.rms_eps, bin->config.rms_eps);
  EXPECT_EQ(c.rope_theta, 10000.0f);
  EXPECT_EQ(c.bos_id, 1);
  EXPECT_EQ(c.eos_id, 2);
  EXPECT_EQ(c.stop_ids, (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(LoadGguf(dir + "/stories260K.gguf", 0)->config.context, 2048);
}

class GgufModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::ScratchDir("gguf_loader");
    auto m = MakeRandomModel("micro", 21);
    ASSERT_TRUE(m.ok());
    model_ = std::move(*m);
  }
  // Writes the builder (from model_) after `edit`, then loads it.
  template <typename Edit>
  Result<Model> LoadEdited(Edit edit, bool f16 = false) {
    GgufBuilder b = GgufBuilderForModel(model_, f16);
    edit(b);
    const std::string path = dir_ + "/edited.gguf";
    std::filesystem::remove(path);
    EXPECT_TRUE(b.Write(path).ok());
    return LoadGguf(path, 0);
  }
  std::string dir_;
  Model model_;
};

TEST_F(GgufModelTest, RoundTripsF32Exactly) {
  for (bool shared : {true, false}) {
    Model m = model_;
    if (!shared) m.weights.wcls[1] = 0.5f;
    ASSERT_TRUE(WriteGguf(m, dir_ + "/m.gguf", false).ok());
    auto back = LoadGguf(dir_ + "/m.gguf", 0);
    ASSERT_TRUE(back.ok()) << back.status().message();
    testing::ExpectSameWeights(m, *back);
    EXPECT_EQ(back->vocab.pieces, m.vocab.pieces);
    EXPECT_EQ(back->vocab.scores, m.vocab.scores);
    EXPECT_EQ(back->vocab.max_token_length, m.vocab.max_token_length);
    EXPECT_EQ(back->config.context, m.config.context);
    EXPECT_EQ(back->config.rms_eps, m.config.rms_eps);
    EXPECT_EQ(back->config.stop_ids, m.config.stop_ids);
  }
}

TEST_F(GgufModelTest, RoundTripsF16WithinHalfPrecision) {
  ASSERT_TRUE(WriteGguf(model_, dir_ + "/m16.gguf", true).ok());
  ASSERT_TRUE(WriteGguf(model_, dir_ + "/m32.gguf", false).ok());
  EXPECT_LT(std::filesystem::file_size(dir_ + "/m16.gguf"), std::filesystem::file_size(dir_ + "/m32.gguf"));
  auto back = LoadGguf(dir_ + "/m16.gguf", 0);
  ASSERT_TRUE(back.ok()) << back.status().message();
  auto close = [](const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      // Half keeps 11 significant bits; these weights are normal halves.
      if (std::fabs(a[i] - b[i]) > std::fabs(a[i]) * 0x1p-11f + 1e-7f) return false;
    }
    return true;
  };
  EXPECT_TRUE(close(model_.weights.token_embedding, back->weights.token_embedding));
  EXPECT_TRUE(close(model_.weights.wcls, back->weights.wcls));
  for (size_t l = 0; l < model_.weights.layers.size(); ++l) {
    const LayerWeights& a = model_.weights.layers[l];
    const LayerWeights& b = back->weights.layers[l];
    EXPECT_TRUE(close(a.wq, b.wq) && close(a.wk, b.wk) && close(a.wv, b.wv) && close(a.wo, b.wo) &&
                close(a.w1, b.w1) && close(a.w2, b.w2) && close(a.w3, b.w3));
    EXPECT_EQ(a.rms_att, b.rms_att);  // norms stay F32
  }
  EXPECT_NE(model_.weights.layers[0].wq, back->weights.layers[0].wq);  // it really was rounded
}

TEST_F(GgufModelTest, WrongShapeTypeOrMissingTensor) {
  EXPECT_TRUE(FailsWith(LoadEdited([](GgufBuilder& b) { b.FindTensor("blk.1.attn_k.weight")->dims = {8, 16}; }),
                        "tensor 'blk.1.attn_k.weight' has shape [8, 16], expected [16, 8]"));
  EXPECT_TRUE(FailsWith(LoadEdited([](GgufBuilder& b) { b.FindTensor("blk.0.ffn_norm.weight")->dims = {8, 2}; }),
                        "has shape [8, 2], expected [16]"));
  EXPECT_TRUE(FailsWith(LoadEdited([](GgufBuilder& b) { b.RemoveTensor("blk.1.ffn_up.weight"); }),
                        "missing tensor 'blk.1.ffn_up.weight'"));
  EXPECT_TRUE(FailsWith(LoadEdited([](GgufBuilder& b) { b.RemoveTensor("token_embd.weight"); }),
                        "missing tensor 'token_embd.weight'"));
  EXPECT_TRUE(FailsWith(LoadEdited([](GgufBuilder& b) {
                          b.RemoveTensor("blk.0.attn_q.weight");
                          b.AddRawTensor("blk.0.attn_q.weight", {16, 16}, 20, std::string(16 * 16 / 32 * 18, '\0'));
                        }),
                        "tensor 'blk.0.attn_q.weight' has type IQ4_NL; supported types: F32, F16, BF16, Q8_0"));
  // A supported type whose rows are not whole blocks.
  EXPECT_TRUE(FailsWith(LoadEdited([](GgufBuilder& b) {
                          b.RemoveTensor("blk.0.attn_q.weight");
                          b.AddRawTensor("blk.0.attn_q.weight", {16, 16}, 8, std::string(16 * 16 / 32 * 34, '\0'));
                        }),
                        "tensor 'blk.0.attn_q.weight' (Q8_0) has rows of 16 elements, not a multiple of the type's "
                        "block of 32"));
  // Q5_0/Q5_1 (22- and 24-byte blocks of 32) likewise.
  EXPECT_TRUE(FailsWith(LoadEdited([](GgufBuilder& b) {
                          b.RemoveTensor("blk.0.attn_q.weight");
                          b.AddRawTensor("blk.0.attn_q.weight", {16, 16}, 6, std::string(16 * 16 / 32 * 22, '\0'));
                        }),
                        "tensor 'blk.0.attn_q.weight' (Q5_0) has rows of 16 elements"));
  EXPECT_TRUE(FailsWith(LoadEdited([](GgufBuilder& b) {
                          b.RemoveTensor("blk.0.attn_q.weight");
                          b.AddRawTensor("blk.0.attn_q.weight", {16, 16}, 7, std::string(16 * 16 / 32 * 24, '\0'));
                        }),
                        "tensor 'blk.0.attn_q.weight' (Q5_1) has rows of 16 elements"));
  EXPECT_TRUE(FailsWith(LoadEdited([](GgufBuilder& b) { b.FindTensor("output_norm.weight")->type = 99; }),
                        "type 99"));
  // A trailing dimension of 1 is harmless padding.
  auto padded = LoadEdited([](GgufBuilder& b) { b.FindTensor("output_norm.weight")->dims = {16, 1}; });
  EXPECT_TRUE(padded.ok()) << padded.status().message();
}

TEST_F(GgufModelTest, VocabSizeMismatches) {
  EXPECT_TRUE(FailsWith(LoadEdited([](GgufBuilder& b) { b.Set("llama.vocab_size", GgufValue::U32(500)); }),
                        "vocab size mismatch: llama.vocab_size is 500"));
  std::vector<GgufValue> tokens, scores;
  for (int i = 0; i < 380; ++i) {
    tokens.push_back(GgufValue::String(model_.vocab.pieces[i]));
    scores.push_back(GgufValue::F32(0));
  }
  EXPECT_TRUE(FailsWith(LoadEdited([&](GgufBuilder& e) {
                          e.Set("tokenizer.ggml.tokens", GgufValue::Array(GgufValueType::kString, tokens));
                          e.Set("tokenizer.ggml.scores", GgufValue::Array(GgufValueType::kFloat32, scores));
                        }),
                        "vocab size mismatch: token_embd.weight has 384 rows but tokenizer.ggml.tokens has 380"));
  EXPECT_TRUE(FailsWith(LoadEdited([&](GgufBuilder& e) {
                          e.Set("tokenizer.ggml.scores", GgufValue::Array(GgufValueType::kFloat32, scores));
                        }),
                        "tokenizer.ggml.scores has 380 entries but tokenizer.ggml.tokens has 384"));
}

TEST_F(GgufModelTest, BadOrMissingMetadata) {
  EXPECT_TRUE(FailsWith(
      LoadEdited([](GgufBuilder& b) { b.Set("general.architecture", GgufValue::String("gpt2")); }),
      "general.architecture is 'gpt2', which is not supported; supported: llama (Llama 2, Llama 3, Mistral), qwen2"));
  EXPECT_TRUE(FailsWith(LoadEdited([](GgufBuilder& b) { b.Remove("general.architecture"); }),
                        "missing metadata general.architecture"));
  EXPECT_TRUE(FailsWith(LoadEdited([](GgufBuilder& b) { b.Remove("llama.block_count"); }),
                        "missing metadata llama.block_count"));
  EXPECT_TRUE(FailsWith(
      LoadEdited([](GgufBuilder& b) { b.Set("llama.embedding_length", GgufValue::String("16")); }),
      "metadata llama.embedding_length has type string, expected an integer"));
  EXPECT_TRUE(FailsWith(
      LoadEdited([](GgufBuilder& b) { b.Set("llama.embedding_length", GgufValue::U64(uint64_t{1} << 40)); }),
      "llama.embedding_length = 1099511627776 is out of range"));
  EXPECT_TRUE(FailsWith(LoadEdited([](GgufBuilder& b) { b.Set("llama.attention.head_count", GgufValue::U32(3)); }),
                        "dim 16 is not a multiple of n_heads 3"));
  EXPECT_TRUE(FailsWith(LoadEdited([](GgufBuilder& b) { b.Set("llama.rope.dimension_count", GgufValue::U32(2)); }),
                        "partial rotary"));
  EXPECT_TRUE(FailsWith(
      LoadEdited([](GgufBuilder& b) { b.Set("llama.attention.layer_norm_rms_epsilon", GgufValue::F32(NAN)); }),
      "rms_eps"));
  EXPECT_TRUE(FailsWith(LoadEdited([](GgufBuilder& b) { b.Set("tokenizer.ggml.model", GgufValue::String("gpt2")); }),
                        "tokenizer.ggml.model is 'gpt2'"));
  EXPECT_TRUE(FailsWith(LoadEdited([](GgufBuilder& b) { b.Remove("tokenizer.ggml.tokens"); }),
                        "missing metadata tokenizer.ggml.tokens"));
  EXPECT_TRUE(FailsWith(
      LoadEdited([](GgufBuilder& b) {
        b.Set("tokenizer.ggml.tokens", GgufValue::Array(GgufValueType::kInt32, {GgufValue::I32(1)}));
      }),
      "tokenizer.ggml.tokens is not an array of string"));
  EXPECT_TRUE(FailsWith(
      LoadEdited([](GgufBuilder& b) { b.Set("tokenizer.ggml.eos_token_id", GgufValue::U32(100000)); }),
      "eos_id 100000"));
  EXPECT_TRUE(FailsWith(LoadGguf(dir_ + "/none.gguf", 0), "none.gguf"));
  ASSERT_TRUE(WriteGguf(model_, dir_ + "/ok.gguf", false).ok());
  EXPECT_TRUE(FailsWith(LoadGguf(dir_ + "/ok.gguf", -5), "context override -5"));
}

TEST_F(GgufModelTest, OptionalMetadataDefaults) {
  auto m = LoadEdited([](GgufBuilder& b) {
    b.Remove("llama.attention.head_count_kv");
    b.Remove("llama.rope.freq_base");
    b.Remove("llama.rope.dimension_count");
    b.Remove("general.alignment");
    b.Set("llama.attention.layer_norm_rms_epsilon", GgufValue::F32(1e-6f));
  });
  // Without head_count_kv the file means plain multi-head attention, so the
  // micro model's {16, 8} K/V tensors no longer fit.
  EXPECT_TRUE(FailsWith(m, "tensor 'blk.0.attn_k.weight' has shape [16, 8], expected [16, 16]"));
  m = LoadEdited([](GgufBuilder& b) {
    b.Remove("llama.rope.freq_base");
    b.Set("llama.attention.layer_norm_rms_epsilon", GgufValue::F32(1e-6f));
    b.Set("llama.rope.freq_base", GgufValue::F32(500000.0f));
  });
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->config.rms_eps, 1e-6f);
  EXPECT_EQ(m->config.rope_theta, 500000.0f);
}

}  // namespace
}  // namespace cacheopt

namespace cacheopt {
namespace {

// A micro model widened to 256 so every matrix takes whole K-quant super-blocks.
Model KQuantFriendlyModel() {
  Model m = *MakeRandomModel("micro", 3);
  ModelConfig& c = m.config;
  c.dim = 256;
  c.hidden_dim = 512;
  c.n_heads = 4;
  c.n_kv_heads = 2;
  std::mt19937 rng(5);
  std::normal_distribution<float> g(0.0f, 0.05f);
  auto fill = [&](std::vector<float>* v, size_t n) {
    v->resize(n);
    for (float& x : *v) x = g(rng);
  };
  const size_t dim = c.dim, kv = c.kv_dim(), hid = c.hidden_dim, vocab = c.vocab_size;
  fill(&m.weights.token_embedding, vocab * dim);
  fill(&m.weights.wcls, vocab * dim);
  m.weights.rms_final.assign(dim, 1.0f);
  for (LayerWeights& L : m.weights.layers) {
    L.rms_att.assign(dim, 1.0f);
    L.rms_ffn.assign(dim, 1.0f);
    fill(&L.wq, dim * dim);
    fill(&L.wk, kv * dim);
    fill(&L.wv, kv * dim);
    fill(&L.wo, dim * dim);
    fill(&L.w1, hid * dim);
    fill(&L.w2, dim * hid);
    fill(&L.w3, hid * dim);
  }
  return m;
}

// make-model --quant's writer and the loader agree: each type's file loads
// with its matrices held in that type, and widening them gives our own
// quantization of the fp32 weights, bit for bit.
TEST(GgufQuantized, WritesAndLoadsEveryType) {
  const std::string dir = testing::ScratchDir("gguf_quantized");
  const Model m = KQuantFriendlyModel();
  for (uint32_t type : {kGgmlBF16, kGgmlQ8_0, kGgmlQ4_0, kGgmlQ5_0, kGgmlQ5_1, kGgmlQ4_K, kGgmlQ5_K, kGgmlQ6_K}) {
    const std::string path = dir + "/m.gguf";
    ASSERT_TRUE(WriteGgufAs(m, path, type).ok());
    auto back = LoadGguf(path, 0);
    ASSERT_TRUE(back.ok()) << back.status().message();
    const LayerWeights& L = back->weights.layers[0];
    EXPECT_EQ(L.w2_q.type, type);
    EXPECT_TRUE(L.w2.empty());
    EXPECT_EQ(back->weights.wcls_q.type, type);
    EXPECT_TRUE(HasQuantizedWeights(*back));
    Model expect = m;
    ASSERT_TRUE(QuantizeModelWeights(&expect, type).ok());
    EXPECT_EQ(L.w2_q.data, expect.weights.layers[0].w2_q.data) << GgmlTypeName(type);
    WidenModelWeights(&*back);
    EXPECT_EQ(back->weights.layers[0].wq.size(), m.weights.layers[0].wq.size());
  }
}

// A quantized tensor cut short: the error names the tensor and its type.
TEST(GgufQuantized, TruncatedTensorNamesTensorAndType) {
  const std::string dir = testing::ScratchDir("gguf_quantized_cut");
  const Model m = KQuantFriendlyModel();
  const std::string path = dir + "/m.gguf";
  for (uint32_t type : {kGgmlQ4_K, kGgmlQ5_0, kGgmlQ5_1}) {
    ASSERT_TRUE(WriteGgufAs(m, path, type).ok());
    // The last tensor is blk.1.ffn_norm.weight (256 fp32); before it, ffn_up.
    std::filesystem::resize_file(path, std::filesystem::file_size(path) - 1024 - 100);
    auto r = LoadGguf(path, 0);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("truncated in tensor data: tensor 'blk.1.ffn_up.weight' (" +
                                        GgmlTypeName(type) + ", "),
              std::string::npos)
        << r.status().message();
  }
}

}  // namespace
}  // namespace cacheopt
