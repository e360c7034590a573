#include "server/chat_template.h"

namespace cacheopt {
namespace {

constexpr std::string_view kBInst = "[INST]", kEInst = "[/INST]";
constexpr std::string_view kBSys = "<<SYS>>\n", kESys = "\n<</SYS>>\n\n";

enum class Role { kSystem, kUser, kAssistant };

std::string_view Strip(std::string_view s) {
  constexpr std::string_view kSpace = " \t\n\r\f\v";
  size_t b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(kSpace);
  return s.substr(b, e - b + 1);
}

std::string RoleField(size_t i) { return "messages[" + std::to_string(i) + "].role"; }

// Roles parsed and checked for what every template needs: known roles, a
// system message only first, a user message last.
ApiResult<std::vector<Role>> CheckRoles(const std::vector<ChatMessage>& messages) {
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
      roles.push_back(Role::kAssistant);
    } else {
      return InvalidRequest(RoleField(i), "'" + RoleField(i) + "' is '" + r +
                                              "'; it must be 'system', 'user' or 'assistant'");
    }
  }
  if (roles.back() != Role::kUser) {
    return InvalidRequest("messages", "The last of 'messages' must have role 'user', got '" +
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

std::string_view RoleName(Role r) { return r == Role::kSystem ? "system" : r == Role::kUser ? "user" : "assistant"; }

ChatPrompt OneSpecialSegment(std::string text) {
  ChatPrompt out;
  out.segments.push_back({std::move(text), true, false, true});
  return out;
}

ChatPrompt Llama3(const std::vector<ChatMessage>& messages, const std::vector<Role>& roles) {
  std::string s;
  for (size_t i = 0; i < messages.size(); ++i) {
    s += "<|start_header_id|>";
    s += RoleName(roles[i]);
    s += "<|end_header_id|>\n\n";
    s += Strip(messages[i].content);
    s += "<|eot_id|>";
  }
  s += "<|start_header_id|>assistant<|end_header_id|>\n\n";
  return OneSpecialSegment(std::move(s));
}

ChatPrompt ChatMl(const std::vector<ChatMessage>& messages, const std::vector<Role>& roles) {
  std::string s;
  for (size_t i = 0; i < messages.size(); ++i) {
    s += "<|im_start|>";
    s += RoleName(roles[i]);
    s += "\n" + messages[i].content + "<|im_end|>\n";
  }
  s += "<|im_start|>assistant\n";
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

ApiResult<ChatPrompt> ApplyChatTemplate(ChatTemplateKind kind,
                                        const std::vector<ChatMessage>& messages) {
  auto roles = CheckRoles(messages);
  if (!roles.ok()) return roles.error();
  switch (kind) {
    case ChatTemplateKind::kPlain: return Plain(messages);
    case ChatTemplateKind::kLlama2: return Llama2(messages, roles.value());
    case ChatTemplateKind::kLlama3: return Llama3(messages, roles.value());
    case ChatTemplateKind::kChatMl: return ChatMl(messages, roles.value());
    default: return Mistral(kind, messages, roles.value());
  }
}

}  // namespace cacheopt
