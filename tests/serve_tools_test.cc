// Chat tools over HTTP (issue 18) on the random-weight tiny model: forced
// calls (tool_choice required / named) come back as tool_calls with null
// content and finish_reason "tool_calls", under the llama-3 and chatml
// templates; "required" over several tools calls one of them with that
// tool's arguments; auto is served; streamed, the same calls arrive as
// OpenAI's delta.tool_calls chunks; a template without a tool format and a
// malformed tool are 400s naming the field, and the server keeps serving.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

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
    // "required" over both tools (anyOf: the arguments follow the schema of
    // the tool named), or one tool named.
    auto [status, j] = Chat(srv.port(), seed % 2 ? Body(named, seed) : Body("required", seed));
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
    if (name == "get_weather") {
      EXPECT_TRUE(args["city"].is_string()) << args;
      EXPECT_TRUE(args["unit"] == "c" || args["unit"] == "f") << args;
      EXPECT_EQ(args.size(), 2u) << args;
    } else {
      EXPECT_TRUE(args["a"].is_number_integer()) << args;
      EXPECT_TRUE(args["b"].is_number_integer()) << args;
      EXPECT_EQ(args.size(), 2u) << args;
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

// A streamed chat: its chunks, and the message they add up to (content,
// tool_calls as an OpenAI client accumulates them) with the finish reason.
struct Streamed {
  std::vector<json> chunks;
  std::string content;
  json tool_calls = json::array();
  std::string finish_reason;
};

Streamed StreamChat(int port, json body) {
  body["stream"] = true;
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(std::chrono::seconds(120));
  auto r = c.Post("/v1/chat/completions", body.dump(), "application/json");
  Streamed s;
  EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no response");
  if (!r) return s;
  size_t at = 0;
  while ((at = r->body.find("data: ", at)) != std::string::npos) {
    const size_t end = r->body.find("\n\n", at);
    const std::string payload = r->body.substr(at + 6, end - at - 6);
    at = end;
    if (payload == "[DONE]") break;
    json chunk = json::parse(payload);
    s.chunks.push_back(chunk);
    if (chunk["choices"].empty()) continue;
    const json& ch = chunk["choices"][0];
    const json& d = ch["delta"];
    if (d.contains("content") && d["content"].is_string()) s.content += d["content"].get<std::string>();
    if (d.contains("tool_calls")) {
      for (const json& t : d["tool_calls"]) {
        const size_t i = t["index"];
        if (i == s.tool_calls.size()) {
          // A call opens with its id, type and name.
          EXPECT_TRUE(t.contains("id") && t.contains("type") && t["function"].contains("name")) << t;
          s.tool_calls.push_back({{"id", t.value("id", "")},
                                  {"type", t.value("type", "")},
                                  {"function", {{"name", t["function"].value("name", "")}, {"arguments", ""}}}});
        }
        EXPECT_LT(i, s.tool_calls.size()) << t;
        if (i < s.tool_calls.size() && t["function"].contains("arguments"))
          s.tool_calls[i]["function"]["arguments"] =
              s.tool_calls[i]["function"]["arguments"].get<std::string>() + t["function"]["arguments"].get<std::string>();
      }
    }
    if (ch["finish_reason"].is_string()) s.finish_reason = ch["finish_reason"];
  }
  return s;
}

void ExpectStreamedCallsEqualWhole(const std::string& tmpl) {
  ServerOptions o = TinyOptions();
  o.chat_template = tmpl;
  TestServer srv(std::move(o));
  const json named = {{"type", "function"}, {"function", {{"name", "add"}}}};
  for (int seed = 0; seed < 4; ++seed) {
    const json body = seed % 2 ? Body(named, seed) : Body("required", seed);
    auto [status, whole] = Chat(srv.port(), body);
    ASSERT_EQ(status, 200) << whole;
    const Streamed s = StreamChat(srv.port(), body);
    const json& m = whole["choices"][0]["message"];
    EXPECT_EQ(s.finish_reason, "tool_calls") << tmpl;
    EXPECT_EQ(s.content, "") << tmpl;
    ASSERT_EQ(s.tool_calls.size(), m["tool_calls"].size()) << tmpl << " seed " << seed;
    for (size_t i = 0; i < s.tool_calls.size(); ++i) {
      // The same call (the seed fixes the text), the same id scheme.
      EXPECT_EQ(s.tool_calls[i]["function"], m["tool_calls"][i]["function"]) << tmpl << " seed " << seed;
      EXPECT_EQ(s.tool_calls[i]["type"], "function");
      EXPECT_EQ(s.tool_calls[i]["id"].get<std::string>().rfind("call_", 0), 0u);
    }
  }
  // auto: what is not a call streams as content, equal to the whole reply's.
  for (int seed = 0; seed < 3; ++seed) {
    const json body = Body("auto", seed);
    auto [status, whole] = Chat(srv.port(), body);
    ASSERT_EQ(status, 200) << whole;
    const Streamed s = StreamChat(srv.port(), body);
    const json& m = whole["choices"][0]["message"];
    EXPECT_EQ(s.finish_reason, whole["choices"][0]["finish_reason"]) << tmpl;
    if (!m.contains("tool_calls")) {
      EXPECT_EQ(s.content, m["content"]) << tmpl << " seed " << seed;
    }
  }
}

TEST(ServeToolsTest, StreamedCallsUnderChatMl) { ExpectStreamedCallsEqualWhole("chatml"); }
TEST(ServeToolsTest, StreamedCallsUnderLlama3) { ExpectStreamedCallsEqualWhole("llama-3"); }

TEST(ServeToolsTest, RefusalsNameTheFieldAndTheServerKeepsServing) {
  TestServer srv;  // the tiny model's default template: llama-2, no tool format
  auto [status, j] = Chat(srv.port(), Body("auto", 0));
  EXPECT_EQ(status, 400);
  EXPECT_EQ(j["error"]["param"], "tools") << j;
  json streamed = Body("required", 0);  // streamed or not: no tool format
  streamed["stream"] = true;
  std::tie(status, j) = Chat(srv.port(), streamed);
  EXPECT_EQ(status, 400);
  EXPECT_EQ(j["error"]["param"], "tools") << j;
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
