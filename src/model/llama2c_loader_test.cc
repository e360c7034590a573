#include "model/llama2c_loader.h"

#include <gtest/gtest.h>

#include "model/llama2c_format.h"
#include "model/model_test_util.h"
#include "model/model_writer.h"
#include "model/random_model.h"
#include "model/tokenizer_file.h"

namespace cacheopt {
namespace {

using testing::FailsWith;

TEST(Llama2cLoaderTest, LoadsStories260K) {
  CACHEOPT_REQUIRE_STORIES(dir);
  auto m = LoadLlama2c(dir + "/stories260K.bin", dir + "/tok512.bin", 0);
  ASSERT_TRUE(m.ok()) << m.status().message();
  const ModelConfig& c = m->config;
  EXPECT_EQ(c.dim, 64);
  EXPECT_EQ(c.hidden_dim, 172);
  EXPECT_EQ(c.n_layers, 5);
  EXPECT_EQ(c.n_heads, 8);
  EXPECT_EQ(c.n_kv_heads, 4);
  EXPECT_EQ(c.kv_dim(), 32);
  EXPECT_EQ(c.vocab_size, 512);
  EXPECT_EQ(c.context, 512);
  EXPECT_EQ(c.file_context, 512);
  EXPECT_EQ(c.stop_ids, std::vector<int32_t>{1});
  EXPECT_EQ(m->weights.wcls, m->weights.token_embedding);
  EXPECT_EQ(m->weights.layers[4].w2.size(), 64u * 172u);
  EXPECT_EQ(m->vocab.pieces.size(), 512u);
  EXPECT_EQ(m->source, dir + "/stories260K.bin");
}

TEST(Llama2cLoaderTest, ContextOverride) {
  CACHEOPT_REQUIRE_STORIES(dir);
  auto m = LoadLlama2c(dir + "/stories260K.bin", dir + "/tok512.bin", 256);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->config.context, 256);
  EXPECT_EQ(m->config.file_context, 512);
  EXPECT_TRUE(FailsWith(LoadLlama2c(dir + "/stories260K.bin", dir + "/tok512.bin", -1), "context override -1"));
}

class Llama2cFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::ScratchDir("llama2c");
    auto m = MakeRandomModel("micro", 5);
    ASSERT_TRUE(m.ok());
    model_ = std::move(*m);
  }
  // Writes model_ and returns the checkpoint's bytes.
  std::string Write(const Model& m) {
    EXPECT_TRUE(WriteLlama2c(m, dir_ + "/model.bin", dir_ + "/tok.bin").ok());
    return testing::ReadBytes(dir_ + "/model.bin");
  }
  Result<Model> LoadBytes(const std::string& bytes) {
    testing::WriteBytes(dir_ + "/bad.bin", bytes);
    return LoadLlama2c(dir_ + "/bad.bin", dir_ + "/tok.bin", 0);
  }
  std::string dir_;
  Model model_;
};

TEST_F(Llama2cFileTest, RoundTripsSharedAndSeparateClassifiers) {
  for (bool shared : {true, false}) {
    Model m = model_;
    if (!shared) m.weights.wcls[3] += 1.0f;
    const std::string bytes = Write(m);
    int32_t vocab_field = 0;
    std::memcpy(&vocab_field, bytes.data() + 20, 4);
    EXPECT_EQ(vocab_field, shared ? m.config.vocab_size : -m.config.vocab_size);
    auto back = LoadLlama2c(dir_ + "/model.bin", dir_ + "/tok.bin", 0);
    ASSERT_TRUE(back.ok()) << back.status().message();
    testing::ExpectSameWeights(m, *back);
    EXPECT_EQ(back->vocab.pieces, m.vocab.pieces);
    EXPECT_EQ(back->vocab.scores, m.vocab.scores);
    EXPECT_EQ(back->config.context, m.config.context);
  }
}

TEST_F(Llama2cFileTest, TruncationInEverySectionIsNamed) {
  for (bool shared : {true, false}) {
    Model m = model_;
    if (!shared) m.weights.wcls[0] = 5.0f;
    const std::string bytes = Write(m);
    uint64_t start = 0;
    for (const Llama2cSection& s : Llama2cLayout(m.config, shared)) {
      const uint64_t end = start + s.bytes();
      for (uint64_t cut : {start, start + 1, start + s.bytes() / 2, end - 1}) {
        auto r = LoadBytes(bytes.substr(0, cut));
        // Until the header is whole, the total size is unknown.
        const uint64_t need = s.part == Llama2cPart::kHeader ? 28 : bytes.size();
        EXPECT_TRUE(FailsWith(r, "truncated in " + std::string(s.name) + ": need " + std::to_string(need) +
                                     " bytes, file has " + std::to_string(cut)))
            << "shared " << shared << " cut " << cut;
      }
      start = end;
    }
    EXPECT_EQ(start, bytes.size());
    EXPECT_TRUE(FailsWith(LoadBytes(bytes + "abcd"), "4 extra bytes"));
  }
}

TEST_F(Llama2cFileTest, BadHeadersAreErrors) {
  const std::string good = Write(model_);
  struct Case {
    int field;  // index into the 7 int32 header fields
    int32_t value;
    const char* message;
  };
  for (const Case& c : {Case{0, 0, "dim = 0"}, Case{0, -16, "dim = -16"}, Case{0, 1 << 30, "dim = 1073741824"},
                        Case{0, 18, "dim 18 is not a multiple of n_heads 4"},
                        Case{1, -1, "hidden_dim = -1"}, Case{2, 100000, "n_layers = 100000"},
                        Case{4, 3, "n_heads 4 is not a multiple of n_kv_heads 3"},
                        Case{3, 16, "head_size 1 is odd"}, Case{4, 0, "n_kv_heads = 0"},
                        Case{5, 0, "vocab_size = 0"}, Case{5, INT32_MIN, "absurd"},
                        Case{5, 1 << 30, "vocab_size = 1073741824"}, Case{6, 0, "file context = 0"}}) {
    std::string b = good;
    testing::PutAt<int32_t>(&b, 4 * c.field, c.value);
    auto r = LoadBytes(b);
    EXPECT_TRUE(FailsWith(r, c.message)) << "field " << c.field << " = " << c.value;
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find("bad.bin"), std::string::npos);
    }
  }
  // A plausible header that disagrees with the size: a size mismatch.
  std::string b = good;
  testing::PutAt<int32_t>(&b, 4 * 2, 3);
  EXPECT_TRUE(FailsWith(LoadBytes(b), "truncated in"));
  b = good;
  testing::PutAt<int32_t>(&b, 0, 32);
  EXPECT_TRUE(FailsWith(LoadBytes(b), "truncated in token_embedding"));
}

TEST_F(Llama2cFileTest, VersionedAndTinyFilesAreErrors) {
  std::string b = Write(model_);
  testing::PutAt<uint32_t>(&b, 0, kLlama2cVersionedMagic);
  EXPECT_TRUE(FailsWith(LoadBytes(b), "ak42"));
  EXPECT_TRUE(FailsWith(LoadBytes(""), "truncated in header: need 28 bytes, file has 0"));
  EXPECT_TRUE(FailsWith(LoadBytes("GGU"), "truncated in header"));
  auto missing = LoadLlama2c(dir_ + "/none.bin", dir_ + "/tok.bin", 0);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

TEST_F(Llama2cFileTest, TokenizerVocabMismatchIsAnError) {
  Write(model_);
  auto other = MakeRandomModel("tiny", 1);  // vocab 512 vs micro's 384
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(WriteTokenizerFile(other->vocab, dir_ + "/tok512.bin").ok());
  EXPECT_TRUE(FailsWith(LoadLlama2c(dir_ + "/model.bin", dir_ + "/tok512.bin", 0), "vocab size mismatch"));
  ASSERT_TRUE(WriteLlama2c(*other, dir_ + "/tiny.bin", "").ok());
  EXPECT_TRUE(FailsWith(LoadLlama2c(dir_ + "/tiny.bin", dir_ + "/tok.bin", 0), "vocab size mismatch"));
  EXPECT_TRUE(FailsWith(LoadLlama2c(dir_ + "/model.bin", dir_ + "/missing_tok.bin", 0), "missing_tok.bin"));
}

TEST_F(Llama2cFileTest, WriterRejectsWhatTheFormatCannotHold) {
  Model m = model_;
  m.config.rope_theta = 500000.0f;
  EXPECT_TRUE(FailsWith(WriteLlama2c(m, dir_ + "/x.bin", ""), "write GGUF instead"));
  m = model_;
  m.weights.layers[1].wq.pop_back();
  EXPECT_TRUE(FailsWith(WriteLlama2c(m, dir_ + "/x.bin", ""), "layer 1 wq"));
  m = model_;
  m.vocab.pieces.pop_back();
  EXPECT_TRUE(FailsWith(WriteLlama2c(m, dir_ + "/x.bin", ""), "vocab size mismatch"));
}

}  // namespace
}  // namespace cacheopt
