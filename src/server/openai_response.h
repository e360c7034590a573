// OpenAI-compatible response bodies: completions and chat completions (whole
// and streamed), errors, and the model list. Pure functions from values to
// JSON text; the SSE framing of a stream is in sse_stream.h.
//
// finish_reason is "stop", "length", "tool_calls" (chat tools) or "abort" (vLLM's word for a request
// cancelled before it finished). Text that is not valid UTF-8 (a stream cut
// inside a character) is rendered with U+FFFD instead of failing.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/api_error.h"
#include "server/openai_request.h"

namespace cacheopt {

struct Usage {
  int32_t prompt_tokens = 0;
  int32_t completion_tokens = 0;
  int32_t cached_tokens = 0;  // of the prompt, found in the prefix cache
};

// What every body of one request's response shares.
struct ResponseMeta {
  ApiKind kind = ApiKind::kCompletion;
  std::string id;       // MakeResponseId
  int64_t created = 0;  // Unix seconds
  std::string model;
};

// "cmpl-<16 hex>" / "chatcmpl-<16 hex>" from a number unique to the request
// (scrambled, so ids do not reveal the request count).
std::string MakeResponseId(ApiKind kind, uint64_t unique);

// One generated token's log-probabilities, as the response shows them.
struct TokenLogprob {
  std::string token;  // its text (raw bytes; chat also writes them as "bytes")
  float logprob = 0;
  std::vector<std::pair<std::string, float>> top;  // alternatives, most likely first
};

// One choice of a response or of a streamed chunk.
struct ChoiceOut {
  int32_t index = 0;
  std::string text;
  std::optional<std::string> finish_reason;  // streamed: only on the last chunk
  bool has_logprobs = false;                 // false: "logprobs": null
  std::vector<TokenLogprob> logprobs;
  // Completions: where the first token's text starts in the choice's whole
  // text (the echoed prompt and earlier chunks before it): text_offset.
  int32_t text_offset = 0;
  bool role_delta = false;  // chat chunk: {"role": "assistant"} in the delta
  // Chat: the calls parsed from the reply (tool_calls.h); with
  // `content_null` the whole reply was calls ("content": null).
  std::vector<ToolCall> tool_calls;
  bool content_null = false;
  // A streamed chunk's tool_calls deltas are numbered from here; a call
  // with an id opens (id, type, name, arguments ""), one without adds its
  // arguments fragment.
  int32_t tool_call_base = 0;
};

// A whole, non-streamed response: "text_completion" or "chat.completion".
std::string RenderResponse(const ResponseMeta& meta, std::span<const ChoiceOut> choices, const Usage& usage);
std::string RenderResponse(const ResponseMeta& meta, std::string_view text,
                           std::string_view finish_reason, const Usage& usage);

// One streamed chunk: "text_completion" or "chat.completion.chunk".
// `role_delta` puts {"role": "assistant"} in a chat delta (the first chunk).
// The last chunk carries `finish_reason`; a chat delta is then {} unless
// `text` is not empty. With `usage_null`, the chunk has "usage": null, as
// OpenAI writes when stream_options.include_usage is on.
std::string RenderChunk(const ResponseMeta& meta, std::string_view text, bool role_delta,
                        std::optional<std::string_view> finish_reason, bool usage_null);
std::string RenderChunk(const ResponseMeta& meta, const ChoiceOut& choice, bool usage_null);
// The extra last chunk of include_usage: "choices": [] and the usage.
std::string RenderUsageChunk(const ResponseMeta& meta, const Usage& usage);

// {"error": {"message", "type", "param", "code"}}; empty param / code -> null.
std::string RenderError(const ApiError& error);

struct ModelCard {
  std::string id;
  int64_t created = 0;
  int32_t max_model_len = 0;  // vLLM's extension field: the context length
};
// GET /v1/models: {"object": "list", "data": [{"id", "object": "model", ...}]}.
std::string RenderModelList(std::span<const ModelCard> models);

}  // namespace cacheopt
