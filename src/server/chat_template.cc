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

std::optional<ChatTemplateKind> ParseChatTemplateKind(std::string_view name) {
  if (name == "llama-2") return ChatTemplateKind::kLlama2;
  if (name == "plain") return ChatTemplateKind::kPlain;
  return std::nullopt;
}

std::string_view ToString(ChatTemplateKind kind) {
  return kind == ChatTemplateKind::kLlama2 ? "llama-2" : "plain";
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
  if (kind == ChatTemplateKind::kPlain) return Plain(messages);
  return Llama2(messages, roles.value());
}

}  // namespace cacheopt
