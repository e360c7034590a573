#include "calibration/text_file.h"

#include <gtest/gtest.h>
#include <lzma.h>

#include "calibration/test_util.h"

namespace cacheopt {
namespace {

std::string Compress(const std::string& text) {
  std::string out(lzma_stream_buffer_bound(text.size()), '\0');
  size_t pos = 0;
  EXPECT_EQ(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, nullptr,
                                    reinterpret_cast<const uint8_t*>(text.data()), text.size(),
                                    reinterpret_cast<uint8_t*>(out.data()), &pos, out.size()),
            LZMA_OK);
  out.resize(pos);
  return out;
}

TEST(TextFileTest, ReadsPlainAndXz) {
  const std::string dir = testing::ScratchDir("text_file");
  std::string big;
  for (int i = 0; i < 20000; ++i) big += std::to_string(i) + ",x\n";  // > one 64 KiB buffer
  testing::WriteFile(dir + "/a.csv", "plain\n");
  testing::WriteFile(dir + "/b.csv.xz", Compress(big));
  EXPECT_EQ(*ReadTextFile(dir + "/a.csv"), "plain\n");
  EXPECT_EQ(*ReadTextFile(dir + "/b.csv.xz"), big);
  EXPECT_EQ(FindPlainOrXz(dir + "/a.csv"), dir + "/a.csv");
  EXPECT_EQ(FindPlainOrXz(dir + "/b.csv"), dir + "/b.csv.xz");
  EXPECT_EQ(FindPlainOrXz(dir + "/c.csv"), "");
}

TEST(TextFileTest, MissingAndCorruptFilesAreErrors) {
  const std::string dir = testing::ScratchDir("text_file_bad");
  Result<std::string> missing = ReadTextFile(dir + "/none.csv");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  std::string xz = Compress("some text that will be cut short");
  testing::WriteFile(dir + "/cut.csv.xz", xz.substr(0, xz.size() / 2));
  Result<std::string> cut = ReadTextFile(dir + "/cut.csv.xz");
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.status().code(), StatusCode::kIoError);
  EXPECT_NE(cut.status().message().find("cut.csv.xz"), std::string::npos);
}

}  // namespace
}  // namespace cacheopt
