#include "loadgen/base_url.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cacheopt::bench {
namespace {

using ::testing::HasSubstr;

TEST(BaseUrlTest, Accepted) {
  auto a = ParseBaseUrl("http://127.0.0.1:8000");
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->scheme, "http");
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 8000);
  EXPECT_EQ(a->prefix, "");
  EXPECT_EQ(a->Origin(), "http://127.0.0.1:8000");
  EXPECT_EQ(a->Url("/v1/models"), "http://127.0.0.1:8000/v1/models");

  auto b = ParseBaseUrl("HTTPS://example.com/api/");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->scheme, "https");
  EXPECT_EQ(b->port, 443);
  EXPECT_EQ(b->prefix, "/api");
  EXPECT_EQ(b->Path("/v1/completions"), "/api/v1/completions");

  auto c = ParseBaseUrl("http://[::1]:9000");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->Origin(), "http://[::1]:9000");
  EXPECT_EQ(ParseBaseUrl("http://localhost")->port, 80);
}

TEST(BaseUrlTest, RejectedWithTheReason) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "empty"},
      {"127.0.0.1:8000", "no scheme"},
      {"ftp://host", "scheme 'ftp'"},
      {"http://", "no host"},
      {"http://:8000", "no host"},
      {"http://host:", "without a port"},
      {"http://host:80a", "port '80a'"},
      {"http://host:0", "port '0'"},
      {"http://host:70000", "port '70000'"},
      {"http://host/x?y=1", "no query"},
      {"http://ho st", "whitespace"},
      {"http://::1:80", "IPv6 host needs brackets"},
      {"http://[::1", "without ']'"},
      {"http://u@host", "user info"},
  };
  for (const auto& [text, why] : cases) {
    auto r = ParseBaseUrl(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_THAT(r.status().message(), HasSubstr("malformed --base-url")) << text;
    EXPECT_THAT(r.status().message(), HasSubstr(why)) << text;
  }
}

}  // namespace
}  // namespace cacheopt::bench
