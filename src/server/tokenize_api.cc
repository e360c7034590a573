#include "server/tokenize_api.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "server/json_field.h"

namespace cacheopt {
namespace {

using json = nlohmann::json;

ApiResult<json> ParseObject(std::string_view body) {
  json j;
  try {
    j = json::parse(body);
  } catch (const json::exception& e) {
    std::string what = e.what();
    if (auto p = what.find("] "); p != std::string::npos) what = what.substr(p + 2);
    return InvalidRequest("", "The request body is not valid JSON: " + what);
  }
  if (!j.is_object()) return InvalidRequest("", "The request body must be a JSON object, got " + DescribeJson(j));
  return j;
}

MaybeApiError CheckModel(const json& j, std::span<const std::string> served_models) {
  auto m = j.find("model");
  if (m == j.end() || m->is_null()) return std::nullopt;
  std::string model;
  if (auto e = GetString(*m, "model", &model)) return e;
  if (std::find(served_models.begin(), served_models.end(), model) == served_models.end())
    return ModelNotFound(model);
  return std::nullopt;
}

// An optional boolean field (absent or null: `*out` unchanged).
MaybeApiError OptionalBool(const json& j, const char* field, bool* out) {
  auto f = j.find(field);
  if (f == j.end() || f->is_null()) return std::nullopt;
  return GetBool(*f, field, out);
}

}  // namespace

ApiResult<TokenizeRequest> ParseTokenizeRequest(std::string_view body, std::span<const std::string> served_models) {
  auto parsed = ParseObject(body);
  if (!parsed.ok()) return parsed.error();
  const json& j = *parsed;
  if (auto e = CheckModel(j, served_models)) return *e;
  TokenizeRequest r;
  auto prompt = j.find("prompt");
  auto messages = j.find("messages");
  const bool has_prompt = prompt != j.end() && !prompt->is_null();
  const bool has_messages = messages != j.end() && !messages->is_null();
  if (!has_prompt && !has_messages) return InvalidRequest("prompt", "'prompt' (or 'messages') is required");
  if (auto e = OptionalBool(j, "return_token_strs", &r.return_token_strs)) return *e;
  if (has_prompt) {
    if (auto e = GetString(*prompt, "prompt", &r.prompt)) return *e;
    if (auto e = OptionalBool(j, "add_special_tokens", &r.add_special_tokens)) return *e;
    return r;
  }
  r.chat = true;
  r.add_special_tokens = false;  // vLLM's chat default: the template adds them
  if (auto e = OptionalBool(j, "add_special_tokens", &r.add_special_tokens)) return *e;
  bool add_generation_prompt = true, continue_final_message = false;
  if (auto e = OptionalBool(j, "add_generation_prompt", &add_generation_prompt)) return *e;
  if (auto e = OptionalBool(j, "continue_final_message", &continue_final_message)) return *e;
  if (continue_final_message && add_generation_prompt)
    return InvalidRequest("continue_final_message",
                          "Cannot set both 'continue_final_message' and 'add_generation_prompt' to true");
  if (continue_final_message)
    return Unsupported("continue_final_message",
                       "the chat templates here end every prompt where the assistant's turn begins");
  // The messages as /v1/chat/completions reads them (same checks, same
  // error fields).
  const std::string chat_body = json{{"messages", *messages}}.dump();
  auto chat = ParseCompletionRequest(chat_body, ApiKind::kChat, served_models);
  if (!chat.ok()) return chat.error();
  r.messages = std::move(chat->messages);
  return r;
}

ApiResult<std::vector<int32_t>> ParseDetokenizeRequest(std::string_view body,
                                                       std::span<const std::string> served_models,
                                                       int32_t vocab_size) {
  auto parsed = ParseObject(body);
  if (!parsed.ok()) return parsed.error();
  const json& j = *parsed;
  if (auto e = CheckModel(j, served_models)) return *e;
  auto tokens = j.find("tokens");
  if (tokens == j.end() || tokens->is_null()) return InvalidRequest("tokens", "'tokens' is required");
  if (!tokens->is_array()) return TypeError("tokens", "an array of token ids", *tokens);
  std::vector<int32_t> out;
  out.reserve(tokens->size());
  for (size_t i = 0; i < tokens->size(); ++i) {
    const std::string f = "tokens[" + std::to_string(i) + "]";
    int64_t id = 0;
    if (auto e = GetInt(tokens->at(i), f, 0, int64_t{vocab_size} - 1,
                        "a token id in [0, " + std::to_string(vocab_size) + ")", &id))
      return *e;
    out.push_back(static_cast<int32_t>(id));
  }
  return out;
}

std::string RenderTokenizeResponse(const std::vector<int32_t>& tokens, int32_t max_model_len,
                                   const std::vector<std::string>* token_strs) {
  json j = {{"count", tokens.size()}, {"max_model_len", max_model_len}, {"tokens", tokens}};
  j["token_strs"] = token_strs ? json(*token_strs) : json(nullptr);
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string RenderDetokenizeResponse(std::string_view prompt) {
  return json{{"prompt", prompt}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace cacheopt
