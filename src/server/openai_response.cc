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

namespace {

json Bytes(const std::string& s) {
  json b = json::array();
  for (unsigned char c : s) b.push_back(static_cast<int>(c));
  return b;
}

// Completions: {"tokens", "token_logprobs", "top_logprobs", "text_offset"}
// (top_logprobs: per token a {text: logprob} map of the alternatives plus
// the sampled token, as vLLM writes it). Chat: {"content": [{"token",
// "logprob", "bytes", "top_logprobs": [{"token", "logprob", "bytes"}]}],
// "refusal": null}.
json LogprobsJson(const ChoiceOut& c, bool chat) {
  if (!c.has_logprobs) return nullptr;
  if (chat) {
    json content = json::array();
    for (const TokenLogprob& t : c.logprobs) {
      json top = json::array();
      for (const auto& [text, lp] : t.top) top.push_back({{"token", text}, {"logprob", lp}, {"bytes", Bytes(text)}});
      content.push_back(
          {{"token", t.token}, {"logprob", t.logprob}, {"bytes", Bytes(t.token)}, {"top_logprobs", std::move(top)}});
    }
    return json{{"content", std::move(content)}, {"refusal", nullptr}};
  }
  json tokens = json::array(), lps = json::array(), tops = json::array(), offsets = json::array();
  int64_t offset = c.text_offset;
  for (const TokenLogprob& t : c.logprobs) {
    tokens.push_back(t.token);
    lps.push_back(t.logprob);
    json top = json::object();
    for (const auto& [text, lp] : t.top)
      if (!top.contains(text)) top[text] = lp;
    if (!top.contains(t.token)) top[t.token] = t.logprob;
    tops.push_back(std::move(top));
    offsets.push_back(offset);
    offset += static_cast<int64_t>(t.token.size());
  }
  return json{{"tokens", std::move(tokens)},
              {"token_logprobs", std::move(lps)},
              {"top_logprobs", std::move(tops)},
              {"text_offset", std::move(offsets)}};
}

}  // namespace

std::string RenderResponse(const ResponseMeta& meta, std::span<const ChoiceOut> choices, const Usage& usage) {
  const bool chat = meta.kind == ApiKind::kChat;
  json j = Header(meta, chat ? "chat.completion" : "text_completion");
  json list = json::array();
  for (const ChoiceOut& c : choices) {
    json choice = {{"index", c.index}};
    if (chat) {
      choice["message"] = {{"role", "assistant"}, {"content", c.content_null ? json(nullptr) : json(c.text)}};
      if (!c.tool_calls.empty()) {
        json calls = json::array();
        for (const ToolCall& t : c.tool_calls)
          calls.push_back({{"id", t.id},
                           {"type", "function"},
                           {"function", {{"name", t.name}, {"arguments", t.arguments}}}});
        choice["message"]["tool_calls"] = std::move(calls);
      }
    } else {
      choice["text"] = c.text;
    }
    choice["logprobs"] = LogprobsJson(c, chat);
    choice["finish_reason"] = c.finish_reason ? json(*c.finish_reason) : json(nullptr);
    list.push_back(std::move(choice));
  }
  j["choices"] = std::move(list);
  j["usage"] = UsageJson(usage);
  return Dump(j);
}

std::string RenderResponse(const ResponseMeta& meta, std::string_view text,
                           std::string_view finish_reason, const Usage& usage) {
  ChoiceOut c;
  c.text = std::string(text);
  c.finish_reason = std::string(finish_reason);
  return RenderResponse(meta, std::span<const ChoiceOut>(&c, 1), usage);
}

std::string RenderChunk(const ResponseMeta& meta, const ChoiceOut& c, bool usage_null) {
  const bool chat = meta.kind == ApiKind::kChat;
  json j = Header(meta, chat ? "chat.completion.chunk" : "text_completion");
  json choice = {{"index", c.index}};
  if (chat) {
    json delta = json::object();
    if (c.role_delta) delta["role"] = "assistant";
    // The first chunk has content "" beside the role (as OpenAI); the final
    // one has an empty delta unless it still carries text.
    if (!c.text.empty() || (c.role_delta && !c.finish_reason)) delta["content"] = c.text;
    if (!c.tool_calls.empty()) {
      // OpenAI's streamed calls: {"index", "id", "type", "function": {"name",
      // "arguments": ""}} opens a call, {"index", "function": {"arguments"}}
      // adds to its arguments.
      json calls = json::array();
      for (size_t i = 0; i < c.tool_calls.size(); ++i) {
        const ToolCall& t = c.tool_calls[i];
        json call = {{"index", c.tool_call_base + static_cast<int32_t>(i)}};
        json fn = json::object();
        if (!t.id.empty()) {
          call["id"] = t.id;
          call["type"] = "function";
          fn["name"] = t.name;
        }
        fn["arguments"] = t.arguments;
        call["function"] = std::move(fn);
        calls.push_back(std::move(call));
      }
      delta["tool_calls"] = std::move(calls);
    }
    choice["delta"] = std::move(delta);
  } else {
    choice["text"] = c.text;
  }
  choice["logprobs"] = LogprobsJson(c, chat);
  choice["finish_reason"] = c.finish_reason ? json(*c.finish_reason) : json(nullptr);
  j["choices"] = json::array({std::move(choice)});
  if (usage_null) j["usage"] = nullptr;
  return Dump(j);
}

std::string RenderChunk(const ResponseMeta& meta, std::string_view text, bool role_delta,
                        std::optional<std::string_view> finish_reason, bool usage_null) {
  ChoiceOut c;
  c.text = std::string(text);
  c.role_delta = role_delta;
  if (finish_reason) c.finish_reason = std::string(*finish_reason);
  return RenderChunk(meta, c, usage_null);
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
