#include "server/chat_template.h"

#include <nlohmann/json.hpp>

#include "server/json_field.h"

namespace cacheopt {
namespace {

constexpr std::string_view kBInst = "[INST]", kEInst = "[/INST]";
constexpr std::string_view kBSys = "<<SYS>>\n", kESys = "\n<</SYS>>\n\n";

enum class Role { kSystem, kUser, kAssistant, kTool };

std::string_view Strip(std::string_view s) {
  constexpr std::string_view kSpace = " \t\n\r\f\v";
  size_t b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(kSpace);
  return s.substr(b, e - b + 1);
}

std::string RoleField(size_t i) { return "messages[" + std::to_string(i) + "].role"; }

// Roles parsed and checked for what every template needs: known roles, a
// system message only first, a user message (or a tool result) last.
ApiResult<std::vector<Role>> CheckRoles(const std::vector<ChatMessage>& messages, bool tool_family) {
  if (messages.empty()) return InvalidRequest("messages", "'messages' must not be empty");
  std::vector<Role> roles;
  roles.reserve(messages.size());
  for (size_t i = 0; i < messages.size(); ++i) {
    const std::string& r = messages[i].role;
    if (r == "system" || r == "developer") {
      if (i != 0) {
        return InvalidRequest(RoleField(i), "'" + RoleField(i) + "' is '" + r +
                                                "'; a system message is only allowed first");
      }
      roles.push_back(Role::kSystem);
    } else if (r == "user") {
      roles.push_back(Role::kUser);
    } else if (r == "assistant") {
      if (!messages[i].tool_calls.empty() && !tool_family) {
        const std::string f = "messages[" + std::to_string(i) + "].tool_calls";
        return Unsupported(f, "this model's chat template writes no tool calls (Llama 3 and ChatML do)");
      }
      roles.push_back(Role::kAssistant);
    } else if (r == "tool") {
      if (!tool_family)
        return Unsupported(RoleField(i), "role 'tool': this model's chat template writes no tool results "
                                         "(Llama 3 and ChatML do)");
      roles.push_back(Role::kTool);
    } else {
      return InvalidRequest(RoleField(i), "'" + RoleField(i) + "' is '" + r +
                                              "'; it must be 'system', 'user', 'assistant' or 'tool'");
    }
  }
  if (roles.back() != Role::kUser && roles.back() != Role::kTool) {
    return InvalidRequest("messages", "The last of 'messages' must have role 'user' (or 'tool'), got '" +
                                          messages.back().role + "'");
  }
  return roles;
}

ApiResult<ChatPrompt> Llama2(const std::vector<ChatMessage>& messages,
                             const std::vector<Role>& roles) {
  size_t first = 0;
  std::string system;
  if (roles[0] == Role::kSystem) {
    system = std::string(kBSys) + messages[0].content + std::string(kESys);
    first = 1;
  }
  ChatPrompt out;
  for (size_t i = first; i < messages.size(); i += 2) {
    // Turns come in (user, assistant) pairs; the last user turn stands alone.
    if (roles[i] != Role::kUser) {
      return InvalidRequest(RoleField(i), "'" + RoleField(i) +
                                              "' must be 'user': roles must alternate "
                                              "user/assistant after an optional system message");
    }
    // As Meta's code: the system block joins the first user content and the
    // whole is stripped.
    std::string content = i == first ? system + messages[i].content : messages[i].content;
    std::string text =
        std::string(kBInst) + " " + std::string(Strip(content)) + " " + std::string(kEInst);
    bool answered = i + 1 < messages.size();
    if (answered) {
      if (roles[i + 1] != Role::kAssistant) {
        return InvalidRequest(RoleField(i + 1),
                              "'" + RoleField(i + 1) +
                                  "' must be 'assistant': roles must alternate user/assistant "
                                  "after an optional system message");
      }
      text += " " + std::string(Strip(messages[i + 1].content)) + " ";
    }
    out.segments.push_back({std::move(text), true, answered});
  }
  return out;
}

std::string_view RoleName(Role r) {
  return r == Role::kSystem ? "system" : r == Role::kUser ? "user" : r == Role::kTool ? "tool" : "assistant";
}

ChatPrompt OneSpecialSegment(std::string text) {
  ChatPrompt out;
  out.segments.push_back({std::move(text), true, false, true});
  return out;
}

// JSON as Jinja's tojson writes it (Python's json.dumps: ", " and ": "
// separators, non-ASCII kept), so a tool looks as the model saw it in
// training. A request's JSON keys come sorted (nlohmann::json); a tool's own
// members in OpenAI's order (ToolObject).
template <typename Json>
std::string PyJson(const Json& v) {
  if (v.is_object()) {
    std::string s = "{";
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (it != v.begin()) s += ", ";
      s += Json(it.key()).dump() + ": " + PyJson(it.value());
    }
    return s + "}";
  }
  if (v.is_array()) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + PyJson(v[i]);
    return s + "]";
  }
  return v.dump();
}

// A tool as its {"type": "function", "function": {...}} object, members
// in OpenAI's order (ordered_json keeps it).
nlohmann::ordered_json ToolObject(const ToolFunction& t) {
  nlohmann::ordered_json fn;
  fn["name"] = t.name;
  if (!t.description.empty()) fn["description"] = t.description;
  if (!t.parameters.is_null()) fn["parameters"] = nlohmann::ordered_json::parse(t.parameters.dump());
  nlohmann::ordered_json o;
  o["type"] = "function";
  o["function"] = std::move(fn);
  return o;
}

// The arguments of a call (validated JSON text) as tojson writes a dict.
std::string ArgsJson(const ToolCall& c) { return PyJson(nlohmann::json::parse(c.arguments)); }

ApiResult<ChatPrompt> Llama3(const std::vector<ChatMessage>& messages, const std::vector<Role>& roles,
                             const std::vector<ToolFunction>& tools) {
  std::string s;
  size_t first = 0;
  if (!tools.empty()) {
    // Meta's Llama 3.1 template (llama.cpp models/templates/
    // meta-llama-Llama-3.1-8B-Instruct.jinja, which common/chat.cpp's
    // Llama 3.x handler renders): a system block with the ipython
    // environment and the template's default dates, then the tools in the
    // first user message (tools_in_user_message defaults to true).
    s += "<|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\n"
         "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n";
    if (roles[0] == Role::kSystem) {
      s += Strip(messages[0].content);
      first = 1;
    }
    s += "<|eot_id|>";
    if (first >= messages.size() || roles[first] != Role::kUser)
      return InvalidRequest(RoleField(first), "with 'tools', Llama 3's template puts the tools in the first user "
                                              "message: '" + RoleField(first) + "' must be 'user'");
  }
  for (size_t i = first; i < messages.size(); ++i) {
    const bool tool = roles[i] == Role::kTool;
    s += "<|start_header_id|>";
    s += tool ? "ipython" : RoleName(roles[i]);
    s += "<|end_header_id|>\n\n";
    if (!tools.empty() && i == first) {
      s += "Given the following functions, please respond with a JSON for a function call with its proper "
           "arguments that best answers the given prompt.\n\nRespond in the format {\"name\": function name, "
           "\"parameters\": dictionary of argument name and its value}.Do not use variables.\n\n";
      for (const ToolFunction& t : tools) s += ToolObject(t).dump(4) + "\n\n";
    }
    if (roles[i] == Role::kAssistant && !messages[i].tool_calls.empty()) {
      if (messages[i].tool_calls.size() > 1) {
        const std::string f = "messages[" + std::to_string(i) + "].tool_calls";
        return Unsupported(f, "Llama 3's template takes one tool call per assistant message, got " +
                                  std::to_string(messages[i].tool_calls.size()));
      }
      const ToolCall& c = messages[i].tool_calls[0];
      s += "{\"name\": " + nlohmann::json(c.name).dump() + ", \"parameters\": " + ArgsJson(c) + "}";
    } else {
      s += Strip(messages[i].content);
    }
    s += "<|eot_id|>";
  }
  s += "<|start_header_id|>assistant<|end_header_id|>\n\n";
  return OneSpecialSegment(std::move(s));
}

// Qwen2.5's ChatML template with tools (Hermes 2 Pro's <tool_call> format;
// llama.cpp models/templates/Qwen-Qwen2.5-7B-Instruct.jinja, parsed by
// common/chat.cpp's Hermes 2 Pro handler).
ChatPrompt ChatMl(const std::vector<ChatMessage>& messages, const std::vector<Role>& roles,
                  const std::vector<ToolFunction>& tools, bool prefill_call) {
  std::string s;
  size_t first = 0;
  if (!tools.empty()) {
    s += "<|im_start|>system\n";
    if (roles[0] == Role::kSystem) {
      s += messages[0].content;
      first = 1;
    } else {
      s += "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";
    }
    s += "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
         "You are provided with function signatures within <tools></tools> XML tags:\n<tools>";
    for (const ToolFunction& t : tools) s += "\n" + PyJson(ToolObject(t));
    s += "\n</tools>\n\nFor each function call, return a json object with function name and arguments within "
         "<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": "
         "<args-json-object>}\n</tool_call><|im_end|>\n";
  }
  for (size_t i = first; i < messages.size(); ++i) {
    if (roles[i] == Role::kTool) {
      // A run of tool results is one user turn of <tool_response> blocks.
      if (i == 0 || roles[i - 1] != Role::kTool) s += "<|im_start|>user";
      s += "\n<tool_response>\n" + messages[i].content + "\n</tool_response>";
      if (i + 1 == messages.size() || roles[i + 1] != Role::kTool) s += "<|im_end|>\n";
      continue;
    }
    if (roles[i] == Role::kAssistant && !messages[i].tool_calls.empty()) {
      s += "<|im_start|>assistant";
      if (!messages[i].content.empty()) s += "\n" + messages[i].content;
      for (const ToolCall& c : messages[i].tool_calls)
        s += "\n<tool_call>\n{\"name\": " + nlohmann::json(c.name).dump() + ", \"arguments\": " + ArgsJson(c) +
             "}\n</tool_call>";
      s += "<|im_end|>\n";
      continue;
    }
    s += "<|im_start|>";
    s += RoleName(roles[i]);
    s += "\n" + messages[i].content + "<|im_end|>\n";
  }
  s += "<|im_start|>assistant\n";
  if (prefill_call) s += "<tool_call>\n";
  return OneSpecialSegment(std::move(s));
}

// Mistral's text, then split at each "</s>" into EOS-terminated segments.
ChatPrompt Mistral(ChatTemplateKind kind, const std::vector<ChatMessage>& messages, const std::vector<Role>& roles) {
  std::string s;
  if (kind == ChatTemplateKind::kMistralV7) {
    for (size_t i = 0; i < messages.size(); ++i) {
      const std::string& c = messages[i].content;
      if (roles[i] == Role::kSystem) s += "[SYSTEM_PROMPT] " + c + "[/SYSTEM_PROMPT]";
      else if (roles[i] == Role::kUser) s += "[INST] " + c + "[/INST]";
      else s += " " + c + "</s>";
    }
  } else {
    const std::string lead = kind == ChatTemplateKind::kMistralV1 ? " " : "";
    const std::string trail = kind == ChatTemplateKind::kMistralV3Tekken ? "" : " ";
    bool inside = false;
    for (size_t i = 0; i < messages.size(); ++i) {
      if (!inside) {
        s += lead + "[INST]" + trail;
        inside = true;
      }
      const std::string& c = messages[i].content;
      if (roles[i] == Role::kSystem) {
        s += c + "\n\n";
      } else if (roles[i] == Role::kUser) {
        s += c + lead + "[/INST]";
      } else {
        s += trail + (kind == ChatTemplateKind::kMistralV3 ? std::string(Strip(c)) : c) + "</s>";
        inside = false;
      }
    }
  }
  ChatPrompt out;
  constexpr std::string_view kEos = "</s>";
  size_t from = 0;
  for (size_t at = s.find(kEos); at != std::string::npos; at = s.find(kEos, from)) {
    out.segments.push_back({s.substr(from, at - from), out.segments.empty(), true, true});
    from = at + kEos.size();
  }
  out.segments.push_back({s.substr(from), out.segments.empty(), false, true});
  return out;
}

ChatPrompt Plain(const std::vector<ChatMessage>& messages) {
  PromptSegment seg;
  for (size_t i = 0; i < messages.size(); ++i) {
    if (i > 0) seg.text.push_back('\n');
    seg.text += Strip(messages[i].content);
  }
  ChatPrompt out;
  out.segments.push_back(std::move(seg));
  return out;
}

}  // namespace

namespace {

struct KindName {
  ChatTemplateKind kind;
  std::string_view name;
};
constexpr KindName kKindNames[] = {
    {ChatTemplateKind::kLlama2, "llama-2"},
    {ChatTemplateKind::kPlain, "plain"},
    {ChatTemplateKind::kLlama3, "llama-3"},
    {ChatTemplateKind::kChatMl, "chatml"},
    {ChatTemplateKind::kMistralV1, "mistral-v1"},
    {ChatTemplateKind::kMistralV3, "mistral-v3"},
    {ChatTemplateKind::kMistralV3Tekken, "mistral-v3-tekken"},
    {ChatTemplateKind::kMistralV7, "mistral-v7"},
};

}  // namespace

std::optional<ChatTemplateKind> ParseChatTemplateKind(std::string_view name) {
  for (const KindName& k : kKindNames)
    if (k.name == name) return k.kind;
  return std::nullopt;
}

std::string_view ToString(ChatTemplateKind kind) {
  for (const KindName& k : kKindNames)
    if (k.kind == kind) return k.name;
  return "plain";
}

std::string ChatTemplateNames() {
  std::string s;
  for (const KindName& k : kKindNames) {
    if (!s.empty()) s += ", ";
    s += k.name;
  }
  return s;
}

std::optional<ChatTemplateKind> DetectChatTemplate(std::string_view tmpl) {
  if (tmpl.empty()) return std::nullopt;
  // llama.cpp first takes the template as one of its own names.
  for (const KindName& k : {KindName{ChatTemplateKind::kChatMl, "chatml"}, KindName{ChatTemplateKind::kLlama2, "llama2"},
                            KindName{ChatTemplateKind::kLlama2, "llama2-sys"},
                            KindName{ChatTemplateKind::kLlama2, "llama2-sys-bos"},
                            KindName{ChatTemplateKind::kLlama2, "llama2-sys-strip"},
                            KindName{ChatTemplateKind::kLlama3, "llama3"},
                            KindName{ChatTemplateKind::kMistralV1, "mistral-v1"},
                            KindName{ChatTemplateKind::kMistralV3, "mistral-v3"},
                            KindName{ChatTemplateKind::kMistralV3Tekken, "mistral-v3-tekken"},
                            KindName{ChatTemplateKind::kMistralV7, "mistral-v7"}})
    if (tmpl == k.name) return k.kind;
  auto has = [&](std::string_view x) { return tmpl.find(x) != std::string_view::npos; };
  if (has("<|im_start|>")) {
    if (has("<|im_sep|>") || has("<end_of_utterance>")) return std::nullopt;  // Phi-4, SmolVLM
    return ChatTemplateKind::kChatMl;
  }
  if (tmpl.substr(0, 7) == "mistral" || has("[INST]")) {
    if (has("[SYSTEM_PROMPT]")) return ChatTemplateKind::kMistralV7;
    if (has("' [INST] ' + system_message") || has("[AVAILABLE_TOOLS]")) {
      if (has(" [INST]")) return ChatTemplateKind::kMistralV1;
      if (has("\"[INST]\"")) return ChatTemplateKind::kMistralV3Tekken;
      return ChatTemplateKind::kMistralV3;
    }
    return ChatTemplateKind::kLlama2;
  }
  // Families llama.cpp recognises before Llama 3: not ours to guess.
  if ((has("<|assistant|>") && (has("<|end|>") || has("<|user|>"))) || has("[gMASK]<sop>") ||
      (has("<|user|>") && has("<|endoftext|>")) || has("bos_token + message['role']") || has("<start_of_turn>") ||
      has("'\\n\\nAssistant: ' + eos_token") || has("GPT4 Correct ") || (has("USER: ") && has("ASSISTANT: ")) ||
      (has("### Instruction:") && has("<|EOT|>")) || (has("<|START_OF_TURN_TOKEN|>") && has("<|USER_TOKEN|>")))
    return std::nullopt;
  if (has("<|start_header_id|>") && has("<|end_header_id|>")) return ChatTemplateKind::kLlama3;
  return std::nullopt;
}


ChatTemplateKind DefaultChatTemplate(std::string_view model_name) {
  return model_name.find("stories") != std::string_view::npos ? ChatTemplateKind::kPlain
                                                              : ChatTemplateKind::kLlama2;
}

std::string ChatPrompt::Text() const {
  std::string s;
  for (const PromptSegment& seg : segments) {
    if (seg.bos) s += "<s>";
    s += seg.text;
    if (seg.eos) s += "</s>";
  }
  return s;
}

std::optional<ToolFormat> ToolFormatOf(ChatTemplateKind kind) {
  if (kind == ChatTemplateKind::kLlama3) return ToolFormat::kLlama3Json;
  if (kind == ChatTemplateKind::kChatMl) return ToolFormat::kHermes;
  return std::nullopt;
}

ApiResult<ChatPrompt> ApplyChatTemplate(ChatTemplateKind kind, const std::vector<ChatMessage>& messages,
                                        const std::vector<ToolFunction>& tools, bool prefill_call) {
  const bool tool_family = ToolFormatOf(kind).has_value();
  if (!tools.empty() && !tool_family)
    return Unsupported("tools", "the chat template '" + std::string(ToString(kind)) +
                                    "' has no tool-call format; tools are served for llama-3 and chatml");
  auto roles = CheckRoles(messages, tool_family);
  if (!roles.ok()) return roles.error();
  switch (kind) {
    case ChatTemplateKind::kPlain: return Plain(messages);
    case ChatTemplateKind::kLlama2: return Llama2(messages, roles.value());
    case ChatTemplateKind::kLlama3: return Llama3(messages, roles.value(), tools);
    case ChatTemplateKind::kChatMl: return ChatMl(messages, roles.value(), tools, prefill_call);
    default: return Mistral(kind, messages, roles.value());
  }
}

}  // namespace cacheopt
