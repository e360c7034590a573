#include "server/openai_response.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace cacheopt {
namespace {

using json = nlohmann::ordered_json;  // keeps OpenAI's key order

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json Header(const ResponseMeta& meta, const char* object) {
  return json{
      {"id", meta.id}, {"object", object}, {"created", meta.created}, {"model", meta.model}};
}

json UsageJson(const Usage& u) {
  // OpenAI's shape: prompt_tokens_details.cached_tokens, 0 without a hit.
  return json{{"prompt_tokens", u.prompt_tokens},
              {"completion_tokens", u.completion_tokens},
              {"total_tokens", u.prompt_tokens + u.completion_tokens},
              {"prompt_tokens_details", {{"cached_tokens", u.cached_tokens}}}};
}

json NullOr(std::string_view s) { return s.empty() ? json(nullptr) : json(s); }

}  // namespace

std::string MakeResponseId(ApiKind kind, uint64_t unique) {
  // splitmix64's finalizer: a bijection, so distinct inputs give distinct ids.
  uint64_t z = unique + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(z));
  return (kind == ApiKind::kChat ? "chatcmpl-" : "cmpl-") + std::string(hex);
}

std::string RenderResponse(const ResponseMeta& meta, std::string_view text,
                           std::string_view finish_reason, const Usage& usage) {
  bool chat = meta.kind == ApiKind::kChat;
  json j = Header(meta, chat ? "chat.completion" : "text_completion");
  json choice = {{"index", 0}};
  if (chat) {
    choice["message"] = {{"role", "assistant"}, {"content", text}};
  } else {
    choice["text"] = text;
  }
  choice["logprobs"] = nullptr;
  choice["finish_reason"] = finish_reason;
  j["choices"] = json::array({std::move(choice)});
  j["usage"] = UsageJson(usage);
  return Dump(j);
}

std::string RenderChunk(const ResponseMeta& meta, std::string_view text, bool role_delta,
                        std::optional<std::string_view> finish_reason, bool usage_null) {
  bool chat = meta.kind == ApiKind::kChat;
  json j = Header(meta, chat ? "chat.completion.chunk" : "text_completion");
  json choice = {{"index", 0}};
  if (chat) {
    json delta = json::object();
    if (role_delta) delta["role"] = "assistant";
    // The first chunk has content "" beside the role (as OpenAI); the final
    // one has an empty delta unless it still carries text.
    if (!text.empty() || (role_delta && !finish_reason)) delta["content"] = text;
    choice["delta"] = std::move(delta);
  } else {
    choice["text"] = text;
  }
  choice["logprobs"] = nullptr;
  choice["finish_reason"] = finish_reason ? json(*finish_reason) : json(nullptr);
  j["choices"] = json::array({std::move(choice)});
  if (usage_null) j["usage"] = nullptr;
  return Dump(j);
}

std::string RenderUsageChunk(const ResponseMeta& meta, const Usage& usage) {
  json j = Header(meta, meta.kind == ApiKind::kChat ? "chat.completion.chunk" : "text_completion");
  j["choices"] = json::array();
  j["usage"] = UsageJson(usage);
  return Dump(j);
}

std::string RenderError(const ApiError& e) {
  json err = {{"message", e.message},
              {"type", e.type},
              {"param", NullOr(e.param)},
              {"code", NullOr(e.code)}};
  return Dump(json{{"error", std::move(err)}});
}

std::string RenderModelList(std::span<const ModelCard> models) {
  json data = json::array();
  for (const ModelCard& m : models) {
    data.push_back({{"id", m.id},
                    {"object", "model"},
                    {"created", m.created},
                    {"owned_by", "cacheopt"},
                    {"root", m.id},
                    {"max_model_len", m.max_model_len}});
  }
  return Dump(json{{"object", "list"}, {"data", std::move(data)}});
}

}  // namespace cacheopt
