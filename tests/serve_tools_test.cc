// Chat tools over HTTP (issue 18) on the random-weight tiny model: forced
// calls (tool_choice required / named) come back as tool_calls with null
// content and finish_reason "tool_calls", under the llama-3 and chatml
// templates; auto is served; a template without a tool format, stream with
// tools and a malformed tool are 400s naming the field, and the server
// keeps serving.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "serve_test_util.h"

namespace cacheopt {
namespace {

using json = nlohmann::json;
using serve_test::TestServer;
using serve_test::TinyOptions;

std::pair<int, json> Chat(int port, const json& body) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(std::chrono::seconds(120));
  auto r = c.Post("/v1/chat/completions", body.dump(), "application/json");
  if (!r) return {-1, json()};
  return {r->status, json::parse(r->body)};
}

const json kTools = json::parse(R"([
  {"type": "function", "function": {"name": "get_weather", "description": "Weather of a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string", "maxLength": 10},
                                                    "unit": {"enum": ["c", "f"]}}, "required": ["city", "unit"]}}},
  {"type": "function", "function": {"name": "add", "parameters": {"type": "object",
    "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}, "required": ["a", "b"]}}}])");

json Body(const json& tool_choice, int seed, const json& tools = kTools) {
  return {{"messages", json::array({{{"role", "user"}, {"content", "Weather in Oslo?"}}})},
          {"tools", tools},
          {"tool_choice", tool_choice},
          {"max_tokens", 200},
          {"seed", seed}};
}

void ExpectForcedCalls(const std::string& tmpl) {
  ServerOptions o = TinyOptions();
  o.chat_template = tmpl;
  TestServer srv(std::move(o));
  const json named = {{"type", "function"}, {"function", {{"name", "get_weather"}}}};
  for (int seed = 0; seed < 6; ++seed) {
    // "required" over one tool: its schema bounds the arguments (over
    // several they are any object, which random weights may never close).
    auto [status, j] = Chat(srv.port(), seed % 2 ? Body(named, seed) : Body("required", seed, json::array({kTools[1]})));
    ASSERT_EQ(status, 200) << tmpl << ": " << j;
    const json& c = j["choices"][0];
    EXPECT_EQ(c["finish_reason"], "tool_calls") << c;
    EXPECT_TRUE(c["message"]["content"].is_null()) << c;
    ASSERT_EQ(c["message"]["tool_calls"].size(), 1u) << c;
    const json& call = c["message"]["tool_calls"][0];
    EXPECT_EQ(call["type"], "function");
    EXPECT_EQ(call["id"].get<std::string>().rfind("call_", 0), 0u) << call;
    const std::string name = call["function"]["name"];
    EXPECT_TRUE(name == "get_weather" || name == "add") << call;
    if (seed % 2) {
      EXPECT_EQ(name, "get_weather");
    }
    json args;
    ASSERT_NO_THROW(args = json::parse(call["function"]["arguments"].get<std::string>())) << call;
    EXPECT_TRUE(args.is_object());
    if (seed % 2) {
      EXPECT_TRUE(args["city"].is_string()) << args;
      EXPECT_TRUE(args["unit"] == "c" || args["unit"] == "f") << args;
    }
  }
  // auto: free generation, parsed afterwards (random weights write prose).
  auto [status, j] = Chat(srv.port(), Body("auto", 1));
  ASSERT_EQ(status, 200) << j;
  EXPECT_TRUE(j["choices"][0]["message"].contains("content"));
  // A conversation with a call and its result, then a forced call again.
  json convo = Body(named, 9);
  convo["messages"].push_back({{"role", "assistant"},
                               {"content", nullptr},
                               {"tool_calls", json::array({{{"id", "call_1"},
                                                            {"type", "function"},
                                                            {"function", {{"name", "add"}, {"arguments", "{\"a\":1,\"b\":2}"}}}}})}});
  convo["messages"].push_back({{"role", "tool"}, {"tool_call_id", "call_1"}, {"content", "3"}});
  std::tie(status, j) = Chat(srv.port(), convo);
  ASSERT_EQ(status, 200) << j;
  EXPECT_EQ(j["choices"][0]["finish_reason"], "tool_calls");
  // A forced call's schema outside the subset: 400 naming its path.
  json bad = Body({{"type", "function"}, {"function", {{"name", "add"}}}}, 0);
  bad["tools"][1]["function"]["parameters"]["properties"]["a"] = {{"type", "integer"}, {"minimum", 0}};
  std::tie(status, j) = Chat(srv.port(), bad);
  EXPECT_EQ(status, 400);
  EXPECT_EQ(j["error"]["param"], "tools[1].function.parameters.properties.a.minimum") << j;
}

TEST(ServeToolsTest, ForcedCallsUnderChatMl) { ExpectForcedCalls("chatml"); }
TEST(ServeToolsTest, ForcedCallsUnderLlama3) { ExpectForcedCalls("llama-3"); }

TEST(ServeToolsTest, RefusalsNameTheFieldAndTheServerKeepsServing) {
  TestServer srv;  // the tiny model's default template: llama-2, no tool format
  auto [status, j] = Chat(srv.port(), Body("auto", 0));
  EXPECT_EQ(status, 400);
  EXPECT_EQ(j["error"]["param"], "tools") << j;
  json streamed = Body("required", 0);
  streamed["stream"] = true;
  std::tie(status, j) = Chat(srv.port(), streamed);
  EXPECT_EQ(status, 400);
  EXPECT_EQ(j["error"]["param"], "stream") << j;
  json bad = Body("required", 0);
  bad["tools"][0]["function"].erase("name");
  std::tie(status, j) = Chat(srv.port(), bad);
  EXPECT_EQ(status, 400);
  EXPECT_EQ(j["error"]["param"], "tools[0].function.name") << j;
  json none = Body("none", 0);  // tools not rendered, plain chat
  std::tie(status, j) = Chat(srv.port(), none);
  EXPECT_EQ(status, 200) << j;
  EXPECT_FALSE(j["choices"][0]["message"].contains("tool_calls"));
}

}  // namespace
}  // namespace cacheopt
