#include "server/openai_response.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "server/sse_stream.h"

namespace cacheopt {
namespace {

using json = nlohmann::json;
using ::testing::StartsWith;

ResponseMeta Meta(ApiKind kind) { return {kind, "cmpl-1", 1700000000, "llama-2-7b"}; }

// The JSON payloads of an SSE body, checking the framing on the way.
std::vector<std::string> Events(const std::string& sse) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < sse.size()) {
    EXPECT_EQ(sse.compare(pos, 6, "data: "), 0) << sse.substr(pos);
    size_t end = sse.find("\n\n", pos);
    EXPECT_NE(end, std::string::npos);
    if (end == std::string::npos) break;
    std::string payload = sse.substr(pos + 6, end - pos - 6);
    EXPECT_EQ(payload.find('\n'), std::string::npos);  // one line per event
    out.push_back(payload);
    pos = end + 2;
  }
  return out;
}

TEST(OpenAiResponseTest, CompletionBody) {
  json j = json::parse(RenderResponse(Meta(ApiKind::kCompletion), "Once", "length", {5, 3}));
  EXPECT_EQ(j["id"], "cmpl-1");
  EXPECT_EQ(j["object"], "text_completion");
  EXPECT_EQ(j["created"], 1700000000);
  EXPECT_EQ(j["model"], "llama-2-7b");
  ASSERT_EQ(j["choices"].size(), 1u);
  EXPECT_EQ(j["choices"][0]["index"], 0);
  EXPECT_EQ(j["choices"][0]["text"], "Once");
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
  EXPECT_TRUE(j["choices"][0]["logprobs"].is_null());
  EXPECT_EQ(j["usage"],
            json::parse(R"({"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8,
                            "prompt_tokens_details": {"cached_tokens": 0}})"));
}

TEST(OpenAiResponseTest, ChatBodyKeepsOpenAisKeyOrder) {
  std::string s = RenderResponse(Meta(ApiKind::kChat), "Hi!", "stop", {2, 1});
  EXPECT_THAT(
      s, StartsWith(R"({"id":"cmpl-1","object":"chat.completion","created":1700000000,"model":)"));
  json j = json::parse(s);
  EXPECT_EQ(j["choices"][0]["message"], json::parse(R"({"role": "assistant", "content": "Hi!"})"));
  EXPECT_EQ(j["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(j["usage"]["total_tokens"], 3);
}

TEST(OpenAiResponseTest, InvalidUtf8IsReplacedNotThrown) {
  json j = json::parse(RenderResponse(Meta(ApiKind::kCompletion), "a\xE2\x82", "stop", {}));
  EXPECT_EQ(j["choices"][0]["text"], "a\xEF\xBF\xBD");  // U+FFFD
}

TEST(OpenAiResponseTest, ErrorBody) {
  ApiError e = InvalidRequest("max_tokens", "'max_tokens' must be a positive integer, got -3");
  json j = json::parse(RenderError(e));
  EXPECT_EQ(j["error"]["message"], "'max_tokens' must be a positive integer, got -3");
  EXPECT_EQ(j["error"]["type"], "invalid_request_error");
  EXPECT_EQ(j["error"]["param"], "max_tokens");
  EXPECT_TRUE(j["error"]["code"].is_null());
  json nf = json::parse(RenderError(ModelNotFound("x")));
  EXPECT_EQ(nf["error"]["code"], "model_not_found");
  json big = json::parse(RenderError(PayloadTooLarge(10, 5)));
  EXPECT_TRUE(big["error"]["param"].is_null());
}

TEST(OpenAiResponseTest, ModelList) {
  std::vector<ModelCard> cards = {{"llama-2-7b", 1700000000, 4096}};
  json j = json::parse(RenderModelList(cards));
  EXPECT_EQ(j["object"], "list");
  ASSERT_EQ(j["data"].size(), 1u);
  EXPECT_EQ(j["data"][0]["id"], "llama-2-7b");
  EXPECT_EQ(j["data"][0]["object"], "model");
  EXPECT_EQ(j["data"][0]["owned_by"], "cacheopt");
  EXPECT_EQ(j["data"][0]["max_model_len"], 4096);
}

TEST(OpenAiResponseTest, ResponseIds) {
  EXPECT_THAT(MakeResponseId(ApiKind::kCompletion, 1),
              ::testing::MatchesRegex("cmpl-[0-9a-f]{16}"));
  EXPECT_THAT(MakeResponseId(ApiKind::kChat, 1), ::testing::MatchesRegex("chatcmpl-[0-9a-f]{16}"));
  EXPECT_NE(MakeResponseId(ApiKind::kChat, 1), MakeResponseId(ApiKind::kChat, 2));
}

TEST(SseStreamTest, ChatStreamWithUsage) {
  SseStream s(Meta(ApiKind::kChat), /*include_usage=*/true);
  std::string body = s.Start();  // one statement each: + leaves the order unspecified
  body += s.Start();
  body += s.Delta("Hel");
  body += s.Delta("");
  body += s.Delta("lo");
  body += s.Finish("stop", {4, 2});
  ASSERT_TRUE(body.ends_with("data: [DONE]\n\n"));
  auto ev = Events(body);
  ASSERT_EQ(ev.size(), 6u);  // role, Hel, lo, finish, usage, [DONE]
  EXPECT_EQ(ev.back(), "[DONE]");

  json first = json::parse(ev[0]);
  EXPECT_EQ(first["object"], "chat.completion.chunk");
  EXPECT_EQ(first["choices"][0]["delta"], json::parse(R"({"role": "assistant", "content": ""})"));
  EXPECT_TRUE(first["choices"][0]["finish_reason"].is_null());
  EXPECT_TRUE(first.contains("usage") && first["usage"].is_null());

  json hel = json::parse(ev[1]);
  EXPECT_EQ(hel["choices"][0]["delta"], json::parse(R"({"content": "Hel"})"));
  EXPECT_EQ(json::parse(ev[2])["choices"][0]["delta"]["content"], "lo");

  json fin = json::parse(ev[3]);
  EXPECT_EQ(fin["choices"][0]["delta"], json::object());
  EXPECT_EQ(fin["choices"][0]["finish_reason"], "stop");

  json usage = json::parse(ev[4]);
  EXPECT_EQ(usage["choices"], json::array());
  EXPECT_EQ(usage["usage"]["completion_tokens"], 2);
  EXPECT_EQ(usage["usage"]["total_tokens"], 6);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(json::parse(ev[i])["id"], "cmpl-1");
}

TEST(SseStreamTest, CompletionStreamWithoutUsage) {
  SseStream s(Meta(ApiKind::kCompletion), /*include_usage=*/false);
  EXPECT_EQ(s.Start(), "");  // completions have no role chunk
  std::string body = s.Delta("a");
  body += s.Finish("length", {1, 1});
  auto ev = Events(body);
  ASSERT_EQ(ev.size(), 3u);
  json a = json::parse(ev[0]);
  EXPECT_EQ(a["object"], "text_completion");
  EXPECT_EQ(a["choices"][0]["text"], "a");
  EXPECT_FALSE(a.contains("usage"));
  json fin = json::parse(ev[1]);
  EXPECT_EQ(fin["choices"][0]["text"], "");
  EXPECT_EQ(fin["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(ev[2], "[DONE]");
}

TEST(SseStreamTest, FinishWithoutDeltasStillSendsTheRole) {
  SseStream s(Meta(ApiKind::kChat), false);
  auto ev = Events(s.Finish("abort", {3, 0}));
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(json::parse(ev[0])["choices"][0]["delta"]["role"], "assistant");
  EXPECT_EQ(json::parse(ev[1])["choices"][0]["finish_reason"], "abort");
}

TEST(SseStreamTest, ErrorEvent) {
  SseStream s(Meta(ApiKind::kChat), false);
  auto ev = Events(s.Error(InvalidRequest("", "engine stopped")));
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(json::parse(ev[0])["error"]["message"], "engine stopped");
  EXPECT_EQ(ev[1], "[DONE]");
  EXPECT_EQ(SseEvent("{}"), "data: {}\n\n");
}

ChoiceOut WithLogprobs(int32_t index, std::string text) {
  ChoiceOut c;
  c.index = index;
  c.text = std::move(text);
  c.finish_reason = "length";
  c.has_logprobs = true;
  c.text_offset = 2;  // e.g. an echoed prompt "> "
  c.logprobs = {{"Once", -0.5f, {{"Once", -0.5f}, {" The", -1.25f}}}, {" \xc3", -2.0f, {{"x", -0.1f}}}};
  return c;
}

TEST(OpenAiResponseTest, CompletionLogprobsShape) {
  const ChoiceOut choices[] = {WithLogprobs(0, "> Once \xc3"), WithLogprobs(1, "> b")};
  json j = json::parse(RenderResponse(Meta(ApiKind::kCompletion), choices, {4, 6, 0}));
  ASSERT_EQ(j["choices"].size(), 2u);
  EXPECT_EQ(j["choices"][1]["index"], 1);
  const json& lp = j["choices"][0]["logprobs"];
  EXPECT_EQ(lp["tokens"], json::array({"Once", " \xef\xbf\xbd"}));  // a cut character becomes U+FFFD
  EXPECT_EQ(lp["token_logprobs"], json::array({-0.5, -2.0}));
  // Per token the alternatives plus the sampled one, as vLLM writes them.
  EXPECT_EQ(lp["top_logprobs"][0], (json{{"Once", -0.5}, {" The", -1.25}}));
  EXPECT_EQ(lp["top_logprobs"][1].size(), 2u);
  EXPECT_EQ(lp["text_offset"], json::array({2, 6}));
  EXPECT_EQ(j["usage"]["total_tokens"], 10);
}

TEST(OpenAiResponseTest, ChatLogprobsShape) {
  const ChoiceOut choices[] = {WithLogprobs(0, "Once")};
  json j = json::parse(RenderResponse(Meta(ApiKind::kChat), choices, {4, 2, 0}));
  const json& lp = j["choices"][0]["logprobs"];
  ASSERT_TRUE(lp.contains("refusal"));
  EXPECT_TRUE(lp["refusal"].is_null());
  ASSERT_EQ(lp["content"].size(), 2u);
  const json& first = lp["content"][0];
  EXPECT_EQ(first["token"], "Once");
  EXPECT_EQ(first["logprob"], -0.5);
  EXPECT_EQ(first["bytes"], json::array({79, 110, 99, 101}));
  ASSERT_EQ(first["top_logprobs"].size(), 2u);
  EXPECT_EQ(first["top_logprobs"][1]["token"], " The");
  EXPECT_EQ(first["top_logprobs"][1]["logprob"], -1.25);
  EXPECT_EQ(first["top_logprobs"][1]["bytes"], json::array({32, 84, 104, 101}));
  // The raw bytes of a token that cuts a character.
  EXPECT_EQ(lp["content"][1]["bytes"], json::array({32, 0xc3}));
  ChoiceOut none;
  json k = json::parse(RenderResponse(Meta(ApiKind::kChat), std::span<const ChoiceOut>(&none, 1), {}));
  EXPECT_TRUE(k["choices"][0]["logprobs"].is_null());
}

TEST(OpenAiResponseTest, StreamOfSeveralChoices) {
  SseStream sse(Meta(ApiKind::kChat), /*include_usage=*/true, 2);
  ChoiceOut a;
  a.index = 1;
  a.text = "B";
  a.has_logprobs = true;
  a.logprobs = {{"B", -0.25f, {}}};
  std::string body = sse.Delta(a);
  body += sse.FinishChoice(0, "stop");
  body += sse.FinishChoice(1, "length");
  body += sse.End({3, 4, 1});
  auto ev = Events(body);
  ASSERT_EQ(ev.size(), 7u);  // role 1, text 1, role 0, finish 0, finish 1, usage, [DONE]
  json role1 = json::parse(ev[0]), text1 = json::parse(ev[1]), role0 = json::parse(ev[2]);
  EXPECT_EQ(role1["choices"][0]["index"], 1);
  EXPECT_EQ(role1["choices"][0]["delta"]["role"], "assistant");
  EXPECT_EQ(text1["choices"][0]["delta"]["content"], "B");
  EXPECT_EQ(text1["choices"][0]["logprobs"]["content"][0]["logprob"], -0.25);
  EXPECT_EQ(role0["choices"][0]["index"], 0);
  json fin1 = json::parse(ev[4]);
  EXPECT_EQ(fin1["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(fin1["choices"][0]["index"], 1);
  json usage = json::parse(ev[5]);
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"]["prompt_tokens_details"]["cached_tokens"], 1);
  EXPECT_EQ(ev[6], "[DONE]");
}

}  // namespace
}  // namespace cacheopt
