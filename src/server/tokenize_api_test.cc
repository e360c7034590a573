#include "server/tokenize_api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace cacheopt {
namespace {

using json = nlohmann::json;
const std::vector<std::string> kModels = {"stories260K"};

TEST(TokenizeApiTest, TextFormWithVllmDefaults) {
  auto r = ParseTokenizeRequest(R"({"prompt": "Once upon", "unknown_field": 3})", kModels);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->chat);
  EXPECT_EQ(r->prompt, "Once upon");
  EXPECT_TRUE(r->add_special_tokens);
  EXPECT_FALSE(r->return_token_strs);
  r = ParseTokenizeRequest(
      R"({"model": "stories260K", "prompt": "x", "add_special_tokens": false, "return_token_strs": true})", kModels);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->add_special_tokens);
  EXPECT_TRUE(r->return_token_strs);
}

TEST(TokenizeApiTest, ChatFormReadsMessagesAsChatCompletionsDoes) {
  auto r = ParseTokenizeRequest(R"({"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]})",
                                kModels);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->chat);
  EXPECT_FALSE(r->add_special_tokens);  // chat's default
  ASSERT_EQ(r->messages.size(), 1u);
  EXPECT_EQ(r->messages[0].content, "hi");
  auto bad = ParseTokenizeRequest(R"({"messages": [{"content": "hi"}]})", kModels);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().param, "messages[0].role");
  bad = ParseTokenizeRequest(R"({"messages": [{"role": "user", "content": "hi"}], "continue_final_message": true})",
                             kModels);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().param, "continue_final_message");
}

TEST(TokenizeApiTest, BadBodiesNameTheField) {
  struct Case {
    const char* body;
    int status;
    const char* param;
  } cases[] = {
      {"not json", 400, ""},
      {"[1]", 400, ""},
      {"{}", 400, "prompt"},
      {R"({"prompt": 5})", 400, "prompt"},
      {R"({"prompt": "x", "add_special_tokens": "yes"})", 400, "add_special_tokens"},
      {R"({"prompt": "x", "return_token_strs": 1})", 400, "return_token_strs"},
      {R"({"prompt": "x", "model": "gpt-4"})", 404, "model"},
  };
  for (const Case& c : cases) {
    auto r = ParseTokenizeRequest(c.body, kModels);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.error().http_status, c.status) << c.body;
    EXPECT_EQ(r.error().param, c.param) << c.body;
    EXPECT_FALSE(r.error().message.empty());
  }
}

TEST(TokenizeApiTest, DetokenizeChecksIdsAgainstTheVocabulary) {
  auto ok = ParseDetokenizeRequest(R"({"tokens": [1, 0, 511]})", kModels, 512);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, (std::vector<int32_t>{1, 0, 511}));
  EXPECT_TRUE(ParseDetokenizeRequest(R"({"tokens": []})", kModels, 512).ok());
  struct Case {
    const char* body;
    const char* param;
  } cases[] = {
      {"{}", "tokens"},
      {R"({"tokens": "1 2"})", "tokens"},
      {R"({"tokens": [1, 512]})", "tokens[1]"},
      {R"({"tokens": [-1]})", "tokens[0]"},
      {R"({"tokens": [1.5]})", "tokens[0]"},
      {R"({"tokens": [99999999999999999999]})", "tokens[0]"},
  };
  for (const Case& c : cases) {
    auto r = ParseDetokenizeRequest(c.body, kModels, 512);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.error().param, c.param) << c.body;
  }
  auto m = ParseDetokenizeRequest(R"({"model": "other", "tokens": [1]})", kModels, 512);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().http_status, 404);
}

TEST(TokenizeApiTest, ResponsesHaveVllmsShape) {
  const json t = json::parse(RenderTokenizeResponse({1, 42}, 512, nullptr));
  EXPECT_EQ(t, json::parse(R"({"count": 2, "max_model_len": 512, "tokens": [1, 42], "token_strs": null})"));
  const std::vector<std::string> strs = {"<s>", std::string(" a\xff", 3)};  // invalid UTF-8 is replaced
  const json s = json::parse(RenderTokenizeResponse({1, 42}, 512, &strs));
  EXPECT_EQ(s["token_strs"][0], "<s>");
  EXPECT_EQ(s["token_strs"][1], " a\xEF\xBF\xBD");
  EXPECT_EQ(json::parse(RenderDetokenizeResponse("Once upon")), json::parse(R"({"prompt": "Once upon"})"));
}

}  // namespace
}  // namespace cacheopt
