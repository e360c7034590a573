#include "model/model_writer.h"

#include <gtest/gtest.h>

#include <cmath>

#include "model/llama2c_loader.h"
#include "model/model_test_util.h"
#include "model/tokenizer_file.h"

namespace cacheopt {
namespace {

using testing::FailsWith;

// Rewriting stories260K reproduces the original files, so run.c reads ours.
TEST(ModelWriterTest, RewritesStories260KAsTheOriginal) {
  CACHEOPT_REQUIRE_STORIES(src);
  auto m = LoadLlama2c(src + "/stories260K.bin", src + "/tok512.bin", 0);
  ASSERT_TRUE(m.ok());
  const std::string dir = testing::ScratchDir("writer_stories");
  ASSERT_TRUE(WriteLlama2c(*m, dir + "/s.bin", dir + "/tok.bin").ok());
  EXPECT_EQ(testing::ReadBytes(dir + "/tok.bin"), testing::ReadBytes(src + "/tok512.bin"));
  const std::string ours = testing::ReadBytes(dir + "/s.bin");
  const std::string theirs = testing::ReadBytes(src + "/stories260K.bin");
  ASSERT_EQ(ours.size(), theirs.size());
  // Everything but the freq_cis tables (the last 2 x 512 x 4 floats) is
  // byte-identical; the tables agree to float rounding.
  const size_t freq_start = theirs.size() - 2 * 512 * 4 * 4;
  EXPECT_EQ(ours.substr(0, freq_start), theirs.substr(0, freq_start));
  for (size_t at = freq_start; at < theirs.size(); at += 4) {
    float a = 0, b = 0;
    std::memcpy(&a, ours.data() + at, 4);
    std::memcpy(&b, theirs.data() + at, 4);
    ASSERT_NEAR(a, b, 1e-4) << "float " << (at - freq_start) / 4;
  }
}

TEST(ModelWriterTest, UnwritablePathsAreErrors) {
  Model m;
  EXPECT_TRUE(FailsWith(WriteGguf(m, "/nonexistent/x.gguf", false), "cannot write /nonexistent/x.gguf"));
  CACHEOPT_REQUIRE_STORIES(src);
  auto s = LoadLlama2c(src + "/stories260K.bin", src + "/tok512.bin", 0);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(FailsWith(WriteGguf(*s, "/nonexistent/x.gguf", false), "/nonexistent/x.gguf: cannot open"));
  EXPECT_TRUE(FailsWith(WriteLlama2c(*s, "/nonexistent/x.bin", ""), "/nonexistent/x.bin: cannot open"));
}

}  // namespace
}  // namespace cacheopt
