#include "model/model_loader.h"

#include <gtest/gtest.h>

#include "model/model_test_util.h"
#include "model/model_writer.h"
#include "model/random_model.h"
#include "model/tokenizer_file.h"

namespace cacheopt {
namespace {

using testing::FailsWith;

TEST(ModelLoaderTest, LoadsStoriesInBothFormats) {
  CACHEOPT_REQUIRE_STORIES(dir);
  // No tokenizer path: tok512.bin beside the checkpoint is found.
  auto bin = LoadModel(dir + "/stories260K.bin", "", 0);
  ASSERT_TRUE(bin.ok()) << bin.status().message();
  auto gguf = LoadModel(dir + "/stories260K.gguf", "", KnownTrainedContext(dir + "/stories260K.gguf"));
  ASSERT_TRUE(gguf.ok()) << gguf.status().message();
  EXPECT_EQ(gguf->config.context, 512);
  testing::ExpectSameWeights(*bin, *gguf);
  EXPECT_EQ(*FindLlama2cTokenizer(dir + "/stories260K.bin"), dir + "/tok512.bin");
  EXPECT_TRUE(FailsWith(LoadModel(dir + "/stories260K.gguf", dir + "/tok512.bin", 0), "drop --tokenizer"));
}

TEST(ModelLoaderTest, TokenizerSearchRule) {
  const std::string dir = testing::ScratchDir("loader_search");
  auto m = MakeRandomModel("micro", 3);
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE(WriteLlama2c(*m, dir + "/m.bin", "").ok());
  auto none = LoadModel(dir + "/m.bin", "", 0);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(FailsWith(none, "tok384.bin"));
  EXPECT_TRUE(FailsWith(none, "tokenizer.bin"));
  EXPECT_TRUE(FailsWith(none, "--tokenizer"));

  ASSERT_TRUE(WriteTokenizerFile(m->vocab, dir + "/tokenizer.bin").ok());
  EXPECT_EQ(*FindLlama2cTokenizer(dir + "/m.bin"), dir + "/tokenizer.bin");
  EXPECT_TRUE(LoadModel(dir + "/m.bin", "", 0).ok());
  ASSERT_TRUE(WriteTokenizerFile(m->vocab, dir + "/tok384.bin").ok());
  EXPECT_EQ(*FindLlama2cTokenizer(dir + "/m.bin"), dir + "/tok384.bin");
  auto explicit_path = LoadModel(dir + "/m.bin", dir + "/tok384.bin", 32);
  ASSERT_TRUE(explicit_path.ok());
  EXPECT_EQ(explicit_path->config.context, 32);
}

TEST(ModelLoaderTest, ChoosesByMagicNotName) {
  const std::string dir = testing::ScratchDir("loader_magic");
  auto m = MakeRandomModel("micro", 4);
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE(WriteGguf(*m, dir + "/model.bin", false).ok());  // a GGUF with a .bin name
  auto g = LoadModel(dir + "/model.bin", "", 0);
  ASSERT_TRUE(g.ok()) << g.status().message();
  testing::ExpectSameWeights(*m, *g);
  EXPECT_TRUE(FailsWith(LoadModel(dir + "/absent.gguf", "", 0), "absent.gguf"));
  testing::WriteBytes(dir + "/junk.gguf", "this is not a model at all, just some text");
  EXPECT_TRUE(FailsWith(LoadModel(dir + "/junk.gguf", dir + "/model.bin", 0), "junk.gguf: header"));
}

TEST(ModelLoaderTest, KnownTrainedContexts) {
  EXPECT_EQ(KnownTrainedContext("/x/stories260K.gguf"), 512);
  EXPECT_EQ(KnownTrainedContext("STORIES15M.bin"), 256);
  EXPECT_EQ(KnownTrainedContext("models/stories110M-f16.gguf"), 1024);
  EXPECT_EQ(KnownTrainedContext("llama-2-7b.gguf"), 0);
}

}  // namespace
}  // namespace cacheopt
