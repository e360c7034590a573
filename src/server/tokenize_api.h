// POST /tokenize and POST /detokenize as vLLM serves them (vLLM's
// vllm/entrypoints/openai/protocol.py, TokenizeCompletionRequest,
// TokenizeChatRequest, TokenizeResponse, DetokenizeRequest,
// DetokenizeResponse; read at commit 0052bed3, the v0.10 series):
//   tokenize, text:  {"model"?, "prompt": str, "add_special_tokens"? = true,
//                     "return_token_strs"? = false}
//   tokenize, chat:  {"model"?, "messages": [...], "add_special_tokens"? = false,
//                     "add_generation_prompt"? = true, "continue_final_message"? = false,
//                     "return_token_strs"? = false}
//   -> {"count": n, "max_model_len": context, "tokens": [...], "token_strs": [...] | null}
//   detokenize:      {"model"?, "tokens": [int, ...]} -> {"prompt": str}
// A body with "prompt" is the text form, else one with "messages" the chat
// form. Unknown fields are ignored, as vLLM does. Our chat templates always
// end where the assistant's turn begins (as /v1/chat/completions sends
// them), so add_generation_prompt changes nothing; continue_final_message
// (a prompt ending inside the assistant's turn) is not supported: 400.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/api_error.h"
#include "server/openai_request.h"

namespace cacheopt {

struct TokenizeRequest {
  bool chat = false;
  std::string prompt;                 // text form
  std::vector<ChatMessage> messages;  // chat form
  bool add_special_tokens = true;     // text: BOS first; chat: a BOS before the template's own
  bool return_token_strs = false;
};

// `served_models` is non-empty; `model`, when given, must be one of them (404).
ApiResult<TokenizeRequest> ParseTokenizeRequest(std::string_view body, std::span<const std::string> served_models);
// Token ids checked against [0, vocab_size) (400 naming tokens[i]).
ApiResult<std::vector<int32_t>> ParseDetokenizeRequest(std::string_view body,
                                                       std::span<const std::string> served_models,
                                                       int32_t vocab_size);

// `token_strs`: null unless asked for. Invalid UTF-8 in a piece becomes U+FFFD.
std::string RenderTokenizeResponse(const std::vector<int32_t>& tokens, int32_t max_model_len,
                                   const std::vector<std::string>* token_strs);
std::string RenderDetokenizeResponse(std::string_view prompt);

}  // namespace cacheopt
