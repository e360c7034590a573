// The OpenAI-compatible request bodies of POST /v1/completions and POST
// /v1/chat/completions, parsed and validated into one CompletionRequest.
//
// Field policy (decided here, documented for users in docs/server.md):
// - Every request field of OpenAI's completions and chat schemas (openai-node
//   4.95's CompletionCreateParams and ChatCompletionCreateParams, plus the
//   newer prompt_cache_key, safety_identifier, verbosity) is either served
//   or refused with a 400 naming it when set to anything but its no-op
//   value; openai_request_test.cc enumerates them (OpenAiFieldAudit) so a
//   silent ignore cannot come back. Refused: suffix, best_of other than 1
//   or n, echo with logprobs (no prompt log-probabilities), the legacy
//   functions / function_call (tools / tool_choice are served), audio, modalities other than ["text"], prediction,
//   reasoning_effort, verbosity, web_search_options, store: true, a
//   service_tier other than auto / default, min_p != 0, use_beam_search.
// - Unknown fields (in neither schema nor our extensions) are ignored, as
//   vLLM does (OpenAI itself answers 400); their names are kept in
//   `ignored_fields` so the server can log them. JSON null means "absent"
//   for every optional field, as OpenAI accepts.
// - `model` may be omitted (then: the first served model, as vLLM allows);
//   a name outside the served list is 404 model_not_found.
// - Limits (RequestLimits, server flags): n, logprobs / top_logprobs and
//   the number of prompts in a list; above: a 400 naming the field.
// - Extensions: vLLM's top_k (-1 or 0 = off), ignore_eos, min_tokens,
//   stop_token_ids and repetition_penalty; ours: slo_class ("tight" |
//   "medium" | "loose", default medium), ttft_slo_ms / tbt_slo_ms (explicit
//   targets, > 0), and the benchmarking field eos_after (>= 1: the sequence
//   ends after exactly that many tokens; only the sampler reads it, never
//   the scheduler).
//
// Checks that need the tokenizer or the model (prompt length against the
// context, token ids against the vocabulary) are separate functions below,
// run once the prompt is tokenized.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cacheopt/request.h"
#include "exec/cpu/json_grammar.h"
#include "server/api_error.h"
#include "server/tool_calls.h"

namespace cacheopt {

enum class ApiKind : int8_t { kCompletion, kChat };

// Request bodies over this many bytes get 413 before any parsing. 4 MiB holds
// a 100k-token prompt sent as a token-id array.
inline constexpr size_t kDefaultMaxBodyBytes = size_t{4} << 20;

// Server limits on one request (flags: --max-n, --max-logprobs,
// --max-prompts).
struct RequestLimits {
  int32_t max_n = 16;         // choices per prompt
  int32_t max_logprobs = 20;  // completions' logprobs, chat's top_logprobs (vLLM's max_logprobs default)
  int32_t max_prompts = 32;   // prompts in one /v1/completions list
};

// One prompt of /v1/completions: text, or token ids.
struct PromptInput {
  std::string text;
  std::vector<int32_t> token_ids;
  bool is_tokens = false;
};

struct ChatMessage {
  std::string role;     // as sent; chat_template.h validates it
  std::string content;  // an array of text parts is joined with "\n" (as vLLM)
  std::vector<ToolCall> tool_calls;  // assistant: the calls it made
  std::string tool_call_id;          // tool: the call this result answers
};

struct CompletionRequest {
  ApiKind kind = ApiKind::kCompletion;
  std::string model;

  // /v1/completions: the prompts (a list gives several; one choice group
  // each, in order). `prompt` / `prompt_token_ids` / `prompt_is_tokens`
  // repeat the first one.
  std::vector<PromptInput> prompts;
  std::string prompt;
  std::vector<int32_t> prompt_token_ids;
  bool prompt_is_tokens = false;
  // /v1/chat/completions.
  std::vector<ChatMessage> messages;

  // Generated-token cap (chat: max_completion_tokens, else max_tokens).
  // Absent: the context minus the prompt (ResolveMaxTokens).
  std::optional<int32_t> max_tokens;

  // Sampling. Defaults are OpenAI's (temperature 1), not the sampler's.
  double temperature = 1.0;       // [0, 2]; 0 is greedy
  double top_p = 1.0;             // (0, 1]
  int32_t top_k = 0;              // 0: off (-1 on input also means off)
  std::optional<uint64_t> seed;   // absent: the server picks one
  std::vector<std::string> stop;  // up to 4 non-empty strings
  std::vector<int32_t> stop_token_ids;
  bool ignore_eos = false;
  int32_t min_tokens = 0;
  int32_t eos_after = -1;  // -1: off

  // Choices per prompt, and the echo of the prompt (completions).
  int32_t n = 1;
  bool echo = false;
  // Log-probabilities: -1 none; else how many top alternatives per token
  // (completions: logprobs N; chat: logprobs true with top_logprobs N).
  int32_t logprobs = -1;
  // Penalties and biases (sampler.h has their meaning and order).
  double presence_penalty = 0;
  double frequency_penalty = 0;
  double repetition_penalty = 1;
  std::vector<std::pair<int32_t, float>> logit_bias;  // sorted by id
  // response_format json_object / json_schema; null: text.
  std::shared_ptr<const JsonSchema> json_schema;
  // Chat tools (tool_calls.h); tool_choice "none" or no tools: plain chat.
  std::vector<ToolFunction> tools;
  ToolChoice tool_choice;
  bool ToolsActive() const { return !tools.empty() && tool_choice.mode != ToolChoice::Mode::kNone; }

  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage

  // SLO: the class, and explicit targets in ms (0: not given; the class's
  // default applies).
  SloClass slo_class = SloClass::kMedium;
  bool slo_class_given = false;  // named in the request (kept even with tbt_slo_ms)
  double ttft_slo_ms = 0;
  double tbt_slo_ms = 0;

  std::string user;
  std::vector<std::string> ignored_fields;  // unknown keys, sorted
};

// 413 when `body_bytes` > `limit`.
std::optional<ApiError> CheckBodySize(size_t body_bytes, size_t limit = kDefaultMaxBodyBytes);

// Parses and validates a request body. `served_models` is non-empty; its
// first entry is the default model.
ApiResult<CompletionRequest> ParseCompletionRequest(std::string_view body, ApiKind kind,
                                                    std::span<const std::string> served_models,
                                                    const RequestLimits& limits = {});

// The generated-token cap to use once the prompt is `prompt_tokens` long:
// the requested max_tokens, else context - prompt. 400 (param "prompt" or
// "messages") when the prompt alone fills the context; 400 (param
// "max_tokens") when prompt + max_tokens is over it, naming both numbers;
// 400 (param "min_tokens") when min_tokens is over the resolved cap.
ApiResult<int32_t> ResolveMaxTokens(const CompletionRequest& req, int32_t prompt_tokens,
                                    int32_t context_length);

// 400 (param "prompt") when a token-id prompt holds an id outside
// [0, vocab_size); likewise for stop_token_ids and logit_bias.
std::optional<ApiError> CheckTokenIds(const CompletionRequest& req, int32_t vocab_size);

// "tight" | "medium" | "loose".
std::optional<SloClass> ParseSloClass(std::string_view s);

}  // namespace cacheopt
