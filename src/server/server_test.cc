#include "server/server.h"

#include <gtest/gtest.h>

namespace cacheopt {
namespace {

TEST(ServerTest, ParsesByteSizes) {
  EXPECT_EQ(*ParseByteSize("1073741824", "--x"), int64_t{1} << 30);
  EXPECT_EQ(*ParseByteSize("512MiB", "--x"), int64_t{512} << 20);
  EXPECT_EQ(*ParseByteSize("4GiB", "--x"), int64_t{4} << 30);
  EXPECT_EQ(*ParseByteSize("4G", "--x"), int64_t{4} << 30);
  EXPECT_EQ(*ParseByteSize("1.5g", "--x"), int64_t{3} << 29);
  EXPECT_EQ(*ParseByteSize("64K", "--x"), 65536);
  EXPECT_EQ(*ParseByteSize("2 MB", "--x"), int64_t{2} << 20);
  EXPECT_EQ(*ParseByteSize("0", "--x"), 0);
  for (const char* bad : {"", "GiB", "-1G", "1X", "1..2G", "12 parsecs"}) {
    auto r = ParseByteSize(bad, "--kv-device-memory");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("--kv-device-memory"), std::string::npos);
  }
}

TEST(ServerTest, ApiKeysCompareWhole) {
  EXPECT_TRUE(ConstantTimeEquals("sk-abc", "sk-abc"));
  EXPECT_FALSE(ConstantTimeEquals("sk-abc", "sk-abd"));
  EXPECT_FALSE(ConstantTimeEquals("sk-abc", "sk-ab"));
  EXPECT_FALSE(ConstantTimeEquals("sk-ab", "sk-abc"));
  EXPECT_FALSE(ConstantTimeEquals("", "x"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

TEST(ServerTest, ServedModelNames) {
  ModelSource m;
  m.path = "/models/stories260K/stories260K.bin";
  EXPECT_EQ(DefaultServedModelName(m), "stories260K");
  m.path = "llama.gguf";
  EXPECT_EQ(DefaultServedModelName(m), "llama");
  m.path.clear();
  m.generate_config = "tiny";
  EXPECT_EQ(DefaultServedModelName(m), "random-tiny");
}

}  // namespace
}  // namespace cacheopt
