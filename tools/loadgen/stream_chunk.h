// What one streamed event of an OpenAI-compatible completion says: text
// (completions' choices[0].text, chat's choices[0].delta.content), the
// finish reason, the usage (include_usage's last chunk, or any chunk that
// carries one), an error event ({"error": {...}}, sent after the stream
// began), or the closing "[DONE]".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cacheopt/status.h"

namespace cacheopt::bench {

struct StreamChunk {
  bool done = false;         // "[DONE]"
  bool has_choices = false;  // a non-empty "choices" array
  std::string text;          // "" when the chunk carries none
  std::optional<std::string> finish_reason;
  std::optional<int64_t> prompt_tokens;      // usage.prompt_tokens
  std::optional<int64_t> completion_tokens;  // usage.completion_tokens
  std::optional<std::string> error;          // an error event's message
};

// Parses one event's data. Not JSON, or JSON that is not an object, or
// fields of the wrong type: InvalidArgument quoting the start of `data`.
Result<StreamChunk> ParseStreamChunk(std::string_view data);

// The first `max_chars` of `text`, with "..." when cut (for messages).
std::string Excerpt(std::string_view text, size_t max_chars = 120);

}  // namespace cacheopt::bench
