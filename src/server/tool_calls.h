// Tool calling for /v1/chat/completions: the `tools` and `tool_choice`
// fields, the schema a forced call is decoded under, and the model's output
// parsed back into OpenAI's `tool_calls`.
//
// Two output formats, as llama.cpp's common/chat.cpp (b5000-era
// common_chat_params_init_llama_3_x / _hermes_2_pro and their parsers)
// reads them:
//   kLlama3Json  Llama 3.1+: the whole reply is one JSON object
//                {"name": "f", "parameters": {...}} ("arguments" is also
//                accepted on input, as llama.cpp does);
//   kHermes      Hermes 2 Pro / Qwen2.5 (ChatML): each call is
//                <tool_call>\n{"name": "f", "arguments": {...}}\n</tool_call>,
//                text outside the tags is the message content.
// The prompt side (how tools, calls and results are written) is in
// chat_template.cc.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "exec/cpu/json_grammar.h"
#include "server/api_error.h"

namespace cacheopt {

// One entry of `tools` ({"type": "function", "function": {...}}).
struct ToolFunction {
  std::string name;
  std::string description;
  nlohmann::json parameters;  // the JSON schema as sent; null when absent
};

// tool_choice: "none" | "auto" | "required" | {"type": "function",
// "function": {"name": N}}.
struct ToolChoice {
  enum class Mode : int8_t { kNone, kAuto, kRequired, kNamed };
  Mode mode = Mode::kAuto;
  std::string name;  // kNamed
};

// A call, in a request's assistant message or parsed from an output.
struct ToolCall {
  std::string id;
  std::string name;
  std::string arguments;  // a JSON object as text
};

enum class ToolFormat : int8_t { kLlama3Json, kHermes };

// 400 naming the member (tools[i].function.name ...) for a malformed entry,
// a type other than "function", or a repeated name.
ApiResult<std::vector<ToolFunction>> ParseTools(const nlohmann::json& v);
ApiResult<ToolChoice> ParseToolChoice(const nlohmann::json& v);
// An assistant message's `tool_calls` (field: "messages[i].tool_calls").
ApiResult<std::vector<ToolCall>> ParseMessageToolCalls(const nlohmann::json& v, const std::string& field);

// The schema a forced call (tool_choice required or named) is decoded
// under: {"name": <the tool's name>, "parameters"|"arguments": <its
// parameters schema>} with both keys required, one such object per candidate
// tool, an anyOf of them when there are several (so the arguments match the
// schema of the tool named). Each parameters schema is compiled (a 400 naming
// tools[i].function.parameters.X when outside the response_format subset);
// a tool without one takes any JSON object.
ApiResult<std::shared_ptr<const JsonSchema>> ForcedCallSchema(ToolFormat format,
                                                              const std::vector<ToolFunction>& tools,
                                                              const ToolChoice& choice);

// What a reply says: text content (nullopt: none) and calls.
struct ParsedReply {
  std::optional<std::string> content;
  std::vector<ToolCall> calls;
};

// Parses a reply. `forced`: the output is the bare JSON of one call (the
// prompt ended with the opening tag, if the format has one). Calls naming a
// function outside `tools`, or whose JSON does not parse, stay text. Ids
// are "call_" + `id_base` + "_" + the call's index.
ParsedReply ParseToolReply(ToolFormat format, const std::string& text, bool forced,
                           const std::vector<ToolFunction>& tools, const std::string& id_base);

}  // namespace cacheopt
