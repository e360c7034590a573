// Server-sent-events framing of one streamed completion: "data: <json>\n\n"
// per chunk, then "data: [DONE]\n\n", as OpenAI and vLLM stream. The class
// remembers what the protocol needs across chunks (the chat role goes in the
// first chunk only; include_usage adds "usage": null to every chunk and a
// usage chunk at the end).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "server/api_error.h"
#include "server/openai_response.h"

namespace cacheopt {

// "data: " + payload + "\n\n". The payload is one line of JSON.
std::string SseEvent(std::string_view payload);
inline constexpr std::string_view kSseDone = "data: [DONE]\n\n";

class SseStream {
 public:
  SseStream(ResponseMeta meta, bool include_usage, int32_t choices = 1);

  // Several choices (n, prompt lists): each choice's chunks carry its
  // index; a chat choice's first chunk carries the role.
  // New text (and its tokens' log-probabilities) of one choice; "" when
  // there is neither.
  std::string Delta(const ChoiceOut& choice);
  // Chat: calls of one choice, numbered from `first_index`: per call a
  // chunk that opens it (id, type, name) and one with its arguments.
  std::string ToolCalls(int32_t index, int32_t first_index, const std::vector<ToolCall>& calls);
  // One choice's finish chunk.
  std::string FinishChoice(int32_t index, std::string_view finish_reason);
  // After every choice finished: the usage chunk (include_usage), [DONE].
  std::string End(const Usage& usage);

  // The opening event: chat's {"role": "assistant", "content": ""} delta;
  // "" for completions. Later calls return "".
  std::string Start();
  // An event with new text (after Start's, if not yet sent); "" for "".
  std::string Delta(std::string_view text);
  // The finish chunk, the usage chunk (include_usage), then [DONE].
  std::string Finish(std::string_view finish_reason, const Usage& usage);
  // A failure after the stream began: the error JSON as an event, then
  // [DONE] (the HTTP status is already sent).
  std::string Error(const ApiError& error);

  const ResponseMeta& meta() const { return meta_; }

 private:
  ResponseMeta meta_;
  bool include_usage_;
  // Per choice: whether its opening (chat role) chunk went out.
  std::vector<bool> started_;
};

}  // namespace cacheopt
