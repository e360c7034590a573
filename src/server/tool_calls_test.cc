#include "server/tool_calls.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "exec/cpu/json_schema_match_test_util.h"
#include "model/random_model.h"
#include "runtime/real_engine.h"
#include "runtime/runtime_test_util.h"
#include "server/chat_template.h"
#include "server/response_format.h"

namespace cacheopt {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;

std::vector<ToolFunction> Tools() {
  auto t = ParseTools(json::parse(R"([
    {"type": "function", "function": {"name": "get_weather", "description": "Weather of a city",
      "parameters": {"type": "object", "properties": {"city": {"type": "string", "maxLength": 12},
                                                      "unit": {"enum": ["c", "f"]}},
                     "required": ["city", "unit"]}}},
    {"type": "function", "function": {"name": "add", "parameters": {"type": "object", "properties":
      {"a": {"type": "integer"}, "b": {"type": "integer"}}, "required": ["a", "b"]}}}])"));
  EXPECT_TRUE(t.ok());
  return t.ok() ? *t : std::vector<ToolFunction>{};
}

TEST(ToolCallsTest, ParsesToolsAndChoices) {
  auto tools = Tools();
  ASSERT_EQ(tools.size(), 2u);
  EXPECT_EQ(tools[0].name, "get_weather");
  EXPECT_EQ(tools[0].description, "Weather of a city");
  EXPECT_TRUE(tools[1].description.empty());
  EXPECT_EQ(ParseToolChoice(json("none"))->mode, ToolChoice::Mode::kNone);
  EXPECT_EQ(ParseToolChoice(json("auto"))->mode, ToolChoice::Mode::kAuto);
  EXPECT_EQ(ParseToolChoice(json("required"))->mode, ToolChoice::Mode::kRequired);
  auto named = ParseToolChoice(json::parse(R"({"type": "function", "function": {"name": "add"}})"));
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named->mode, ToolChoice::Mode::kNamed);
  EXPECT_EQ(named->name, "add");
  EXPECT_EQ(ParseToolChoice(json(3)).error().param, "tool_choice");
  EXPECT_EQ(ParseToolChoice(json::parse(R"({"type": "function"})")).error().param, "tool_choice.function");
  EXPECT_EQ(ParseTools(json::parse(R"([{"type": "function", "function": {"name": "f", "x": 1}}])")).error().param,
            "tools[0].function.x");
}

TEST(ToolCallsTest, ParsesLlama3Replies) {
  auto tools = Tools();
  auto r = ParseToolReply(ToolFormat::kLlama3Json, R"( {"name": "add", "parameters": {"a": 1, "b": 2}} )", false,
                          tools, "x");
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_FALSE(r.content.has_value());
  EXPECT_EQ(r.calls[0].id, "call_x_0");
  EXPECT_EQ(r.calls[0].name, "add");
  EXPECT_EQ(json::parse(r.calls[0].arguments), json::parse(R"({"a": 1, "b": 2})"));
  // "arguments" and the <|python_tag|> prefix, as llama.cpp accepts them.
  r = ParseToolReply(ToolFormat::kLlama3Json, R"(<|python_tag|>{"name": "add", "arguments": {"a": 3}})", false, tools,
                     "x");
  ASSERT_EQ(r.calls.size(), 1u);
  // Prose, an unknown function, broken JSON: text.
  for (const char* text : {"It is sunny.", R"({"name": "rm", "parameters": {}})", R"({"name": "add", "par)"}) {
    r = ParseToolReply(ToolFormat::kLlama3Json, text, false, tools, "x");
    EXPECT_TRUE(r.calls.empty()) << text;
    EXPECT_EQ(r.content, std::optional<std::string>(text));
  }
}

TEST(ToolCallsTest, ParsesHermesReplies) {
  auto tools = Tools();
  const std::string two =
      "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\", \"unit\": \"c\"}}\n"
      "</tool_call>\n<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": 1, \"b\": 2}}\n</tool_call>";
  auto r = ParseToolReply(ToolFormat::kHermes, two, false, tools, "y");
  ASSERT_EQ(r.calls.size(), 2u);
  EXPECT_EQ(r.content, std::optional<std::string>("Let me check."));
  EXPECT_EQ(r.calls[0].name, "get_weather");
  EXPECT_EQ(r.calls[1].id, "call_y_1");
  EXPECT_EQ(json::parse(r.calls[1].arguments), json::parse(R"({"a": 1, "b": 2})"));
  // Only a call: no content. An unclosed last tag (cut by max_tokens or EOS) still counts.
  r = ParseToolReply(ToolFormat::kHermes, "<tool_call>\n{\"name\": \"add\", \"arguments\": {}}", false, tools, "y");
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_FALSE(r.content.has_value());
  // A forced reply is the bare JSON (the prompt held the opening tag).
  r = ParseToolReply(ToolFormat::kHermes, "{\"name\": \"add\", \"arguments\": {\"a\": 1}}\n</tool_call>", true, tools,
                     "y");
  ASSERT_EQ(r.calls.size(), 1u);
  r = ParseToolReply(ToolFormat::kHermes, "No call here <tool_call>oops</tool_call>", false, tools, "y");
  EXPECT_TRUE(r.calls.empty());
  EXPECT_EQ(r.content, std::optional<std::string>("No call here <tool_call>oops</tool_call>"));
}

TEST(ToolCallsTest, ForcedSchemaNamesTheToolsAndRefusesOutsideTheSubset) {
  auto tools = Tools();
  auto s = ForcedCallSchema(ToolFormat::kLlama3Json, tools, {ToolChoice::Mode::kRequired, ""});
  ASSERT_TRUE(s.ok());
  // Required with several tools: one of them, with that tool's arguments.
  EXPECT_TRUE(jsontest::Matches(json::parse(R"({"name": "add", "parameters": {"a": 1, "b": 2}})"), **s));
  EXPECT_TRUE(jsontest::Matches(
      json::parse(R"({"name": "get_weather", "parameters": {"city": "Oslo", "unit": "c"}})"), **s));
  EXPECT_FALSE(jsontest::Matches(json::parse(R"({"name": "add", "parameters": {"x": [1]}})"), **s));
  EXPECT_FALSE(jsontest::Matches(json::parse(R"({"name": "add", "parameters": {"city": "Oslo", "unit": "c"}})"),
                                 **s));
  EXPECT_FALSE(jsontest::Matches(json::parse(R"({"name": "rm", "parameters": {}})"), **s));
  auto named = ForcedCallSchema(ToolFormat::kHermes, tools, {ToolChoice::Mode::kNamed, "add"});
  ASSERT_TRUE(named.ok());
  EXPECT_TRUE(jsontest::Matches(json::parse(R"({"name": "add", "arguments": {"a": 1, "b": 2}})"), **named));
  EXPECT_FALSE(jsontest::Matches(json::parse(R"({"name": "add", "arguments": {"a": "1", "b": 2}})"), **named));
  tools[1].parameters = json::parse(R"({"type": "object", "properties": {"a": {"anyOf": []}}})");
  auto bad = ForcedCallSchema(ToolFormat::kHermes, tools, {ToolChoice::Mode::kNamed, "add"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().param, "tools[1].function.parameters.properties.a.anyOf");
}

TEST(ToolCallsTest, AnyOfCompilesFromJsonSchema) {
  auto c = CompileJsonSchema(json::parse(R"({"anyOf": [{"type": "integer"}, {"type": "object",
      "properties": {"x": {"type": "string"}}, "required": ["x"]}], "description": "either"})"), "s");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(jsontest::Matches(json(3), **c));
  EXPECT_TRUE(jsontest::Matches(json::parse(R"({"x": "a"})"), **c));
  EXPECT_FALSE(jsontest::Matches(json("a"), **c));
  EXPECT_FALSE(jsontest::Matches(json::parse(R"({"y": 1})"), **c));
}

// A forced call through the real engine on a Llama-3-style random model:
// every sampled reply parses into exactly one call of a named tool whose
// arguments match that tool's schema.
TEST(ToolCallsTest, ForcedCallsOnALlama3ModelAlwaysParse) {
  auto m = MakeRandomModel("tiny", 11, "llama3");
  ASSERT_TRUE(m.ok()) << m.status().message();
  m->config.context = 2048;  // the tools preamble alone is ~830 tokens of this vocabulary (a context override)
  auto e = RealEngine::Create(runtimetest::QuickOptions(std::make_shared<const Model>(std::move(*m))));
  ASSERT_TRUE(e.ok()) << e.status().message();
  RealEngine& engine = **e;
  const auto tools = Tools();
  const std::vector<ToolChoice> choices = {{ToolChoice::Mode::kRequired, ""},
                                           {ToolChoice::Mode::kNamed, "get_weather"},
                                           {ToolChoice::Mode::kNamed, "add"}};
  auto prompt = ApplyChatTemplate(ChatTemplateKind::kLlama3, {{"user", "Weather in Oslo?", {}, ""}}, tools);
  ASSERT_TRUE(prompt.ok());
  std::vector<int32_t> ids;
  for (const PromptSegment& seg : prompt->segments) {
    auto t = engine.tokenizer().Encode(seg.text, seg.bos, seg.eos, seg.parse_special);
    ids.insert(ids.end(), t.begin(), t.end());
  }
  std::vector<std::pair<int64_t, size_t>> submitted;  // request, choice
  for (int seed = 0; seed < 12; ++seed) {
    const size_t which = static_cast<size_t>(seed) % choices.size();
    auto schema = ForcedCallSchema(ToolFormat::kLlama3Json, tools, choices[which]);
    ASSERT_TRUE(schema.ok());
    SamplingParams p;
    p.temperature = 1.0f;
    p.seed = static_cast<uint64_t>(500 + seed);
    p.json_schema = *schema;
    auto id = engine.Submit(ids, p, 300);
    ASSERT_TRUE(id.ok()) << id.status().message();
    submitted.push_back({*id, which});
  }
  auto out = runtimetest::RunAll(engine);
  for (const auto& [id, which] : submitted) {
    const std::string& text = out[id].text;
    EXPECT_EQ(out[id].finish.reason, FinishReason::kStop) << text;
    ParsedReply r = ParseToolReply(ToolFormat::kLlama3Json, text, true, tools, "t");
    ASSERT_EQ(r.calls.size(), 1u) << text;
    EXPECT_FALSE(r.content.has_value());
    const ToolChoice& c = choices[which];
    if (c.mode == ToolChoice::Mode::kNamed) {
      EXPECT_EQ(r.calls[0].name, c.name) << text;
    }
    // Named or required: the arguments match the schema of the tool called.
    auto one = ForcedCallSchema(ToolFormat::kLlama3Json, tools, {ToolChoice::Mode::kNamed, r.calls[0].name});
    ASSERT_TRUE(one.ok());
    const JsonSchema& args = *(*one)->properties[1].schema;
    EXPECT_TRUE(jsontest::Matches(json::parse(r.calls[0].arguments), args)) << text;
  }
  std::printf("forced tool calls on a llama3-style model, e.g. %s\n", out[submitted[1].first].text.c_str());
}

}  // namespace
}  // namespace cacheopt
