// Issue 18's OpenAI fields through the server over HTTP (the random-weight
// tiny model in process): n and prompt lists (indices, usage), echo,
// logprobs shapes (whole and streamed agree), penalties and logit_bias,
// response_format, and the limits as 400s naming the field while the server
// keeps serving.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "serve_test_util.h"

namespace cacheopt {
namespace {

using json = nlohmann::json;
using serve_test::TestServer;
using serve_test::TinyOptions;

struct Reply {
  int status = -1;
  std::string body;
  json j() const { return json::parse(body); }
};

Reply Post(int port, const std::string& path, const json& body) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(std::chrono::seconds(120));
  auto r = c.Post(path.c_str(), body.dump(), "application/json");
  Reply out;
  if (r) {
    out.status = r->status;
    out.body = r->body;
  }
  return out;
}

// The JSON events of an SSE body (without [DONE]).
std::vector<json> Events(const std::string& body) {
  std::vector<json> out;
  size_t pos = 0;
  while (pos < body.size()) {
    const size_t end = body.find("\n\n", pos);
    if (end == std::string::npos) break;
    const std::string data = body.substr(pos + 6, end - pos - 6);
    pos = end + 2;
    if (data != "[DONE]") out.push_back(json::parse(data));
  }
  return out;
}

TEST(ServeOpenAiFieldsTest, PromptListsAndNInIndexOrderWithUsage) {
  TestServer srv;
  const int port = srv.port();
  const std::vector<std::vector<int>> prompts = {{1, 50, 60, 70}, {1, 80, 90}};
  json body = {{"prompt", prompts}, {"n", 3}, {"max_tokens", 5}, {"temperature", 0}, {"ignore_eos", true},
               {"logprobs", 2}};
  Reply r = Post(port, "/v1/completions", body);
  ASSERT_EQ(r.status, 200) << r.body;
  json j = r.j();
  ASSERT_EQ(j["choices"].size(), 6u);
  std::vector<std::string> texts;
  for (int i = 0; i < 6; ++i) {
    const json& c = j["choices"][i];
    EXPECT_EQ(c["index"], i);
    texts.push_back(c["text"]);
    // Completions' logprobs shape, consistent with the text.
    const json& lp = c["logprobs"];
    ASSERT_EQ(lp["tokens"].size(), 5u);
    std::string joined;
    for (size_t k = 0; k < 5; ++k) {
      EXPECT_EQ(lp["text_offset"][k], joined.size());
      joined += lp["tokens"][k].get<std::string>();
      EXPECT_LE(lp["token_logprobs"][k].get<double>(), 0.0);
      EXPECT_GE(lp["top_logprobs"][k].size(), 2u);
    }
    EXPECT_EQ(joined, c["text"]);
  }
  // Greedy: the choices of one prompt agree; prompt-major order.
  EXPECT_EQ(texts[0], texts[1]);
  EXPECT_EQ(texts[0], texts[2]);
  EXPECT_EQ(texts[3], texts[5]);
  EXPECT_EQ(j["usage"]["prompt_tokens"], 4 + 3);  // each prompt once
  EXPECT_EQ(j["usage"]["completion_tokens"], 6 * 5);

  // Streamed: the same per index, each choice finished, the same usage.
  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  Reply s = Post(port, "/v1/completions", body);
  ASSERT_EQ(s.status, 200) << s.body;
  std::map<int, std::string> streamed;
  std::map<int, std::vector<double>> lps;
  std::map<int, std::string> finish;
  json usage;
  for (const json& ev : Events(s.body)) {
    if (!ev["usage"].is_null()) usage = ev["usage"];
    for (const json& c : ev["choices"]) {
      const int i = c["index"];
      streamed[i] += c["text"].get<std::string>();
      if (!c["logprobs"].is_null())
        for (const json& x : c["logprobs"]["token_logprobs"]) lps[i].push_back(x.get<double>());
      if (!c["finish_reason"].is_null()) finish[i] = c["finish_reason"];
    }
  }
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(streamed[i], texts[static_cast<size_t>(i)]) << i;
    EXPECT_EQ(finish[i], "length") << i;
    std::vector<double> whole;
    for (const json& x : j["choices"][i]["logprobs"]["token_logprobs"]) whole.push_back(x.get<double>());
    EXPECT_EQ(lps[i], whole) << i;
  }
  EXPECT_EQ(usage, j["usage"]);
}

TEST(ServeOpenAiFieldsTest, EchoBiasPenaltiesAndChatLogprobs) {
  TestServer srv;
  const int port = srv.port();
  Reply plain = Post(port, "/v1/completions", {{"prompt", "Once"}, {"max_tokens", 4}, {"temperature", 0}, {"ignore_eos", true}});
  ASSERT_EQ(plain.status, 200) << plain.body;
  Reply echo = Post(port, "/v1/completions",
                    {{"prompt", "Once"}, {"max_tokens", 4}, {"temperature", 0}, {"ignore_eos", true}, {"echo", true}});
  ASSERT_EQ(echo.status, 200) << echo.body;
  EXPECT_EQ(echo.j()["choices"][0]["text"], "Once" + plain.j()["choices"][0]["text"].get<std::string>());
  // A +100 bias makes a token win every greedy draw.
  Reply biased = Post(port, "/v1/completions", {{"prompt", "Once"}, {"max_tokens", 4}, {"temperature", 0},
                                                {"ignore_eos", true}, {"logit_bias", {{"300", 100}}}, {"logprobs", 0}});
  ASSERT_EQ(biased.status, 200) << biased.body;
  const json tokens = biased.j()["choices"][0]["logprobs"]["tokens"];  // a copy
  for (const json& t : tokens) EXPECT_EQ(t, tokens[0]);
  // Penalties change a greedy text that repeats (a 2.0 presence penalty on
  // a random model: the text differs from the unpenalised one).
  Reply pen = Post(port, "/v1/completions", {{"prompt", "Once"}, {"max_tokens", 16}, {"temperature", 0},
                                             {"ignore_eos", true}, {"frequency_penalty", 2}, {"presence_penalty", 2}});
  EXPECT_EQ(pen.status, 200) << pen.body;
  // Chat: logprobs true with top_logprobs.
  json msgs = json::array({{{"role", "user"}, {"content", "Once"}}});
  Reply chat = Post(port, "/v1/chat/completions", {{"messages", msgs}, {"max_tokens", 3}, {"temperature", 0},
                                                   {"ignore_eos", true}, {"logprobs", true}, {"top_logprobs", 4}});
  ASSERT_EQ(chat.status, 200) << chat.body;
  const json chat_j = chat.j();
  const json& content = chat_j["choices"][0]["logprobs"]["content"];
  ASSERT_EQ(content.size(), 3u);
  for (const json& t : content) {
    EXPECT_EQ(t["top_logprobs"].size(), 4u);
    EXPECT_EQ(t["top_logprobs"][0]["logprob"], t["logprob"]);  // greedy: the top one
    EXPECT_EQ(t["bytes"].size(), t["token"].get<std::string>().size());
  }
}

TEST(ServeOpenAiFieldsTest, ResponseFormatOutputsParseAndMatch) {
  TestServer srv;
  const int port = srv.port();
  json msgs = json::array({{{"role", "user"}, {"content", "Tell me"}}});
  json schema = {{"type", "object"},
                 {"properties",
                  {{"name", {{"type", "string"}, {"maxLength", 8}}},
                   {"n", {{"type", "integer"}}},
                   {"ok", {{"type", "boolean"}}},
                   {"kind", {{"enum", {"a", "b"}}}}}},
                 {"required", {"name", "ok", "kind"}}};
  json rf = {{"type", "json_schema"}, {"json_schema", {{"name", "t"}, {"schema", schema}}}};
  for (int seed = 0; seed < 10; ++seed) {
    Reply r = Post(port, "/v1/chat/completions",
                   {{"messages", msgs}, {"max_tokens", 200}, {"seed", seed}, {"response_format", rf}});
    ASSERT_EQ(r.status, 200) << r.body;
    const json rj = r.j();
    const json& c = rj["choices"][0];
    EXPECT_EQ(c["finish_reason"], "stop");
    json v;
    ASSERT_NO_THROW(v = json::parse(c["message"]["content"].get<std::string>())) << c;
    EXPECT_TRUE(v["name"].is_string());
    EXPECT_TRUE(v["ok"].is_boolean());
    EXPECT_TRUE(v["kind"] == "a" || v["kind"] == "b") << v;
    if (v.contains("n")) {
      EXPECT_TRUE(v["n"].is_number_integer());
    }
  }
}

TEST(ServeOpenAiFieldsTest, LimitsAndUnsupportedConstructsAre400sNamingTheField) {
  ServerOptions o = TinyOptions();
  o.limits = RequestLimits{.max_n = 4, .max_logprobs = 3, .max_prompts = 2};
  o.max_concurrency = 6;
  TestServer srv(o);
  const int port = srv.port();
  json msgs = json::array({{{"role", "user"}, {"content", "x"}}});
  struct Case {
    const char* path;
    json body;
    std::string param;
  };
  const std::vector<Case> cases = {
      {"/v1/completions", {{"prompt", "x"}, {"n", 5}}, "n"},
      {"/v1/completions", {{"prompt", {"a", "b"}}, {"n", 4}}, "n"},  // 8 choices > max-concurrency 6
      {"/v1/completions", {{"prompt", {"a", "b", "c"}}}, "prompt"},
      {"/v1/completions", {{"prompt", "x"}, {"logprobs", 4}}, "logprobs"},
      {"/v1/completions", {{"prompt", "x"}, {"logit_bias", {{"x1", 3}}}}, "logit_bias.x1"},
      {"/v1/completions", {{"prompt", "x"}, {"logit_bias", {{"99999", 3}}}}, "logit_bias.99999"},
      {"/v1/chat/completions", {{"messages", msgs}, {"logprobs", true}, {"top_logprobs", 4}}, "top_logprobs"},
      {"/v1/chat/completions",
       {{"messages", msgs},
        {"response_format", json::parse(R"({"type": "json_schema", "json_schema": {"name": "t", "schema":
            {"type": "object", "properties": {"a": {"oneOf": []}}}}})")}},
       "response_format.json_schema.schema.properties.a.oneOf"},
  };
  for (const Case& c : cases) {
    Reply r = Post(port, c.path, c.body);
    EXPECT_EQ(r.status, 400) << c.body << ": " << r.body;
    EXPECT_EQ(r.j()["error"]["param"], c.param) << r.body;
  }
  Reply ok = Post(port, "/v1/completions", {{"prompt", {"a", "b"}}, {"n", 3}, {"max_tokens", 2}});
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.j()["choices"].size(), 6u);
}

}  // namespace
}  // namespace cacheopt
