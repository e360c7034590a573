#include "server/tool_stream.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace cacheopt {
namespace {

using json = nlohmann::json;

std::shared_ptr<const std::vector<ToolFunction>> Tools() {
  auto t = ParseTools(json::parse(R"([
    {"type": "function", "function": {"name": "get_weather"}},
    {"type": "function", "function": {"name": "add"}}])"));
  EXPECT_TRUE(t.ok());
  return std::make_shared<const std::vector<ToolFunction>>(t.ok() ? *t : std::vector<ToolFunction>{});
}

std::string Strip(const std::string& s) {
  const size_t a = s.find_first_not_of(" \n\t\r");
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(" \n\t\r") - a + 1);
}

struct Split {
  std::string content;
  std::vector<ToolCall> calls;
  // Content sent before the reply ended: what could not be part of a call.
  std::string early;
};

Split Feed(ToolFormat f, bool forced, const std::string& text, size_t piece) {
  ToolCallStreamer s(f, forced, Tools(), "x");
  Split r;
  auto take = [&](ToolCallStreamer::Out o, bool end) {
    r.content += o.content;
    if (!end) r.early += o.content;
    for (size_t i = 0; i < o.calls.size(); ++i) {
      EXPECT_EQ(o.first_index + static_cast<int32_t>(i), static_cast<int32_t>(r.calls.size()));
      r.calls.push_back(o.calls[i]);
    }
  };
  for (size_t at = 0; at < text.size(); at += piece) take(s.Push(text.substr(at, piece)), false);
  take(s.Finish(), true);
  EXPECT_EQ(s.calls(), static_cast<int32_t>(r.calls.size()));
  return r;
}

// Streamed in pieces of every size, a reply splits as the whole one does:
// the same calls (name, arguments, id) and the same content, up to the
// whitespace the whole reply trims around calls.
void ExpectSameSplit(ToolFormat f, bool forced, const std::string& text) {
  const ParsedReply whole = ParseToolReply(f, text, forced, *Tools(), "x");
  for (size_t piece = 1; piece <= text.size() + 1; ++piece) {
    const Split r = Feed(f, forced, text, piece);
    ASSERT_EQ(r.calls.size(), whole.calls.size()) << text << " in pieces of " << piece;
    for (size_t i = 0; i < r.calls.size(); ++i) {
      EXPECT_EQ(r.calls[i].name, whole.calls[i].name);
      EXPECT_EQ(r.calls[i].arguments, whole.calls[i].arguments);
      EXPECT_EQ(r.calls[i].id, whole.calls[i].id);
    }
    if (whole.calls.empty()) {
      EXPECT_EQ(r.content, text) << "piece " << piece;
    } else {
      EXPECT_EQ(Strip(r.content), whole.content.value_or("")) << text << " in pieces of " << piece;
    }
  }
}

TEST(ToolCallStreamerTest, HermesSplitsAsTheWholeReplyDoes) {
  const std::vector<std::string> texts = {
      "Plain prose, no call.",
      "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}\n</tool_call>",
      "<tool_call>{\"name\": \"add\", \"arguments\": {\"a\": 1}}</tool_call>\n<tool_call>{\"name\": \"get_weather\", "
      "\"arguments\": {}}</tool_call> done",
      "a < b and <tool_c is not a tag",
      "<tool_call>{\"name\": \"rm\", \"arguments\": {}}</tool_call> unknown tool: text",
      "<tool_call>{\"name\": \"add\", \"arguments\": {\"a\": 2}}",  // unclosed at the end: still a call
      "<tool_call>{\"name\": \"add\", \"arguments\": {\"a\": 2",     // cut mid-JSON: text
  };
  for (const std::string& t : texts) ExpectSameSplit(ToolFormat::kHermes, false, t);
}

TEST(ToolCallStreamerTest, HermesStreamsTextBeforeACallAndHoldsOnlyAPossibleTag) {
  const Split r = Feed(ToolFormat::kHermes, false,
                     "Checking <tool_call>{\"name\": \"add\", \"arguments\": {\"a\": 1}}</tool_call>", 1);
  EXPECT_EQ(r.early, "Checking ");
  ASSERT_EQ(r.calls.size(), 1u);
  ToolCallStreamer s(ToolFormat::kHermes, false, Tools(), "x");
  EXPECT_EQ(s.Push("x <tool").content, "x ");  // "<tool" may open a call
  EXPECT_EQ(s.Push("box").content, "<toolbox");
}

TEST(ToolCallStreamerTest, Llama3HoldsWhatMayBeACallAndStreamsProse) {
  const std::vector<std::string> texts = {
      "Sure, here you go.",
      "{\"name\": \"add\", \"parameters\": {\"a\": 1, \"b\": 2}}",
      "  <|python_tag|>{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Oslo\"}}",
      "{\"not\": \"a call\"}",
      "<|python_ta and then prose",
  };
  for (const std::string& t : texts) ExpectSameSplit(ToolFormat::kLlama3Json, false, t);
  EXPECT_EQ(Feed(ToolFormat::kLlama3Json, false, "Sure, here you go.", 1).early, "Sure, here you go.");
  EXPECT_EQ(Feed(ToolFormat::kLlama3Json, false, "{\"name\": \"add\", \"parameters\": {}}", 1).early, "");
}

TEST(ToolCallStreamerTest, ForcedCallsComeWhole) {
  ExpectSameSplit(ToolFormat::kLlama3Json, true, "{\"name\": \"add\", \"parameters\": {\"a\": 1}}");
  ExpectSameSplit(ToolFormat::kHermes, true, "{\"name\": \"add\", \"arguments\": {\"a\": 1}}\n</tool_call>");
  const Split r = Feed(ToolFormat::kHermes, true, "{\"name\": \"add\", \"arguments\": {}}", 1);
  EXPECT_EQ(r.early, "");
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0].id, "call_x_0");
}

}  // namespace
}  // namespace cacheopt
