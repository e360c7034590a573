#include "loadgen/stream_chunk.h"

#include <nlohmann/json.hpp>

namespace cacheopt::bench {
namespace {

using json = nlohmann::json;

Status Malformed(std::string_view data, const std::string& why) {
  return Status::InvalidArgument("malformed SSE event (" + why + "): '" + Excerpt(data) + "'");
}

// A string field that may be absent or null.
bool OptionalString(const json& obj, const char* key, std::optional<std::string>* out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return true;
  if (!it->is_string()) return false;
  *out = it->get<std::string>();
  return true;
}

bool OptionalCount(const json& obj, const char* key, std::optional<int64_t>* out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return true;
  if (!it->is_number_integer() && !it->is_number_unsigned()) return false;
  *out = it->get<int64_t>();
  return true;
}

}  // namespace

std::string Excerpt(std::string_view text, size_t max_chars) {
  if (text.size() <= max_chars) return std::string(text);
  return std::string(text.substr(0, max_chars)) + "...";
}

Result<StreamChunk> ParseStreamChunk(std::string_view data) {
  StreamChunk c;
  if (data == "[DONE]") {
    c.done = true;
    return c;
  }
  json j = json::parse(data.begin(), data.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Malformed(data, "not JSON");
  if (!j.is_object()) return Malformed(data, "not a JSON object");

  if (auto e = j.find("error"); e != j.end() && !e->is_null()) {
    std::string message = "error event";
    if (e->is_object()) {
      auto m = e->find("message");
      if (m != e->end() && m->is_string()) message = m->get<std::string>();
    } else if (e->is_string()) {
      message = e->get<std::string>();
    }
    c.error = message;
    return c;
  }

  if (auto ch = j.find("choices"); ch != j.end() && !ch->is_null()) {
    if (!ch->is_array()) return Malformed(data, "'choices' is not an array");
    if (!ch->empty()) {
      const json& first = (*ch)[0];
      if (!first.is_object()) return Malformed(data, "'choices[0]' is not an object");
      c.has_choices = true;
      std::optional<std::string> text;
      if (!OptionalString(first, "text", &text)) return Malformed(data, "'choices[0].text' is not a string");
      if (auto d = first.find("delta"); d != first.end() && d->is_object()) {
        std::optional<std::string> content;
        if (!OptionalString(*d, "content", &content))
          return Malformed(data, "'choices[0].delta.content' is not a string");
        if (content) text = std::move(content);
      }
      if (text) c.text = std::move(*text);
      if (!OptionalString(first, "finish_reason", &c.finish_reason))
        return Malformed(data, "'choices[0].finish_reason' is not a string");
    }
  }

  if (auto u = j.find("usage"); u != j.end() && !u->is_null()) {
    if (!u->is_object()) return Malformed(data, "'usage' is not an object");
    if (!OptionalCount(*u, "prompt_tokens", &c.prompt_tokens) ||
        !OptionalCount(*u, "completion_tokens", &c.completion_tokens))
      return Malformed(data, "'usage' counts are not integers");
  }
  return c;
}

}  // namespace cacheopt::bench
