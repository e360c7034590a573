// Tools, calls and tool results rendered per family, against prompts
// written out by hand from Meta's Llama 3.1 and Qwen2.5's Jinja templates
// (llama.cpp models/templates/meta-llama-Llama-3.1-8B-Instruct.jinja and
// Qwen-Qwen2.5-7B-Instruct.jinja).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "server/chat_template.h"

namespace cacheopt {
namespace {

using ::testing::HasSubstr;

std::vector<ToolFunction> Weather() {
  return {{"get_weather", "Get the weather",
           nlohmann::json::parse(R"({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]})")}};
}

std::vector<ChatMessage> Conversation() {
  ChatMessage call{"assistant", "", {{"call_1", "get_weather", R"({"city":"Paris"})"}}, ""};
  return {{"system", "Be brief.", {}, ""},
          {"user", "Weather in Paris?", {}, ""},
          call,
          {"tool", R"({"temp": 20})", {}, "call_1"}};
}

TEST(ChatTemplateToolsTest, Llama3RendersTheToolsInTheFirstUserMessage) {
  auto p = ApplyChatTemplate(ChatTemplateKind::kLlama3, Conversation(), Weather());
  ASSERT_TRUE(p.ok()) << p.error().message;
  const std::string tool =
      "{\n"
      "    \"type\": \"function\",\n"
      "    \"function\": {\n"
      "        \"name\": \"get_weather\",\n"
      "        \"description\": \"Get the weather\",\n"
      "        \"parameters\": {\n"
      "            \"properties\": {\n"
      "                \"city\": {\n"
      "                    \"type\": \"string\"\n"
      "                }\n"
      "            },\n"
      "            \"required\": [\n"
      "                \"city\"\n"
      "            ],\n"
      "            \"type\": \"object\"\n"
      "        }\n"
      "    }\n"
      "}";
  const std::string want =
      "<|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\nCutting Knowledge Date: December 2023\n"
      "Today Date: 26 Jul 2024\n\nBe brief.<|eot_id|>"
      "<|start_header_id|>user<|end_header_id|>\n\nGiven the following functions, please respond with a JSON for a "
      "function call with its proper arguments that best answers the given prompt.\n\nRespond in the format "
      "{\"name\": function name, \"parameters\": dictionary of argument name and its value}.Do not use variables.\n\n" +
      tool +
      "\n\nWeather in Paris?<|eot_id|>"
      "<|start_header_id|>assistant<|end_header_id|>\n\n{\"name\": \"get_weather\", \"parameters\": {\"city\": "
      "\"Paris\"}}<|eot_id|>"
      "<|start_header_id|>ipython<|end_header_id|>\n\n{\"temp\": 20}<|eot_id|>"
      "<|start_header_id|>assistant<|end_header_id|>\n\n";
  ASSERT_EQ(p->segments.size(), 1u);
  EXPECT_EQ(p->segments[0].text, want);
  EXPECT_TRUE(p->segments[0].parse_special);
}

TEST(ChatTemplateToolsTest, ChatMlRendersQwenToolsCallsAndResponses) {
  std::vector<ChatMessage> msgs = Conversation();
  msgs.push_back({"tool", "sunny", {}, "call_2"});  // a run of results: one user turn
  auto p = ApplyChatTemplate(ChatTemplateKind::kChatMl, msgs, Weather());
  ASSERT_TRUE(p.ok()) << p.error().message;
  const std::string want =
      "<|im_start|>system\nBe brief.\n\n# Tools\n\nYou may call one or more functions to assist with the user "
      "query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
      "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Get the weather\", "
      "\"parameters\": {\"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"], \"type\": "
      "\"object\"}}}\n</tools>\n\nFor each function call, return a json object with function name and arguments "
      "within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": "
      "<args-json-object>}\n</tool_call><|im_end|>\n"
      "<|im_start|>user\nWeather in Paris?<|im_end|>\n"
      "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n"
      "</tool_call><|im_end|>\n"
      "<|im_start|>user\n<tool_response>\n{\"temp\": 20}\n</tool_response>\n<tool_response>\nsunny\n"
      "</tool_response><|im_end|>\n"
      "<|im_start|>assistant\n";
  EXPECT_EQ(p->Text(), "<s>" + want);
  // A forced call starts inside its tag; no system message: Qwen's default.
  auto forced = ApplyChatTemplate(ChatTemplateKind::kChatMl, {{"user", "hi", {}, ""}}, Weather(), true);
  ASSERT_TRUE(forced.ok());
  EXPECT_THAT(forced->segments[0].text, HasSubstr("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud."));
  EXPECT_THAT(forced->segments[0].text, ::testing::EndsWith("<|im_start|>assistant\n<tool_call>\n"));
}

TEST(ChatTemplateToolsTest, NoToolsLeavesThePromptAsBefore) {
  std::vector<ChatMessage> msgs = {{"user", "hi", {}, ""}};
  for (ChatTemplateKind k : {ChatTemplateKind::kLlama3, ChatTemplateKind::kChatMl}) {
    auto with = ApplyChatTemplate(k, msgs, {});
    auto without = ApplyChatTemplate(k, msgs);
    ASSERT_TRUE(with.ok() && without.ok());
    EXPECT_EQ(with->Text(), without->Text());
  }
}

TEST(ChatTemplateToolsTest, OtherTemplatesRefuseToolsNamingTheField) {
  for (ChatTemplateKind k : {ChatTemplateKind::kLlama2, ChatTemplateKind::kPlain, ChatTemplateKind::kMistralV7}) {
    auto t = ApplyChatTemplate(k, {{"user", "hi", {}, ""}}, Weather());
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.error().param, "tools");
    EXPECT_THAT(t.error().message, HasSubstr("no tool-call format"));
    auto r = ApplyChatTemplate(k, Conversation());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().param, "messages[2].tool_calls");
  }
  // Llama 3's template holds one call per assistant message.
  std::vector<ChatMessage> two = Conversation();
  two[2].tool_calls.push_back({"call_2", "get_weather", "{}"});
  auto r = ApplyChatTemplate(ChatTemplateKind::kLlama3, two, Weather());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().param, "messages[2].tool_calls");
}

}  // namespace
}  // namespace cacheopt
