// The JSON body of one benchmark request, as vLLM's request functions build
// theirs (temperature 0, stream with include_usage), plus what the trace
// says: max_tokens = the cap, eos_after = the true length (our extension:
// the server's sampler ends the sequence there and not before), and
// slo_class. With ignore_eos: vLLM's "ignore_eos": true and
// max_tokens = the true length, for servers without eos_after.
#pragma once

#include <string>

#include "loadgen/request_plan.h"

namespace cacheopt::bench {

enum class EndpointKind { kCompletions, kChat };

// "/v1/chat/completions" (or any path ending in "chat/completions") is chat;
// anything else is a completions endpoint.
EndpointKind EndpointKindOf(const std::string& endpoint);

struct BodyOptions {
  EndpointKind kind = EndpointKind::kCompletions;
  std::string model;
  bool ignore_eos = false;
};

// Completions: "prompt" is the token-id array. Chat: one user message of
// words (PromptWords), as a token-id prompt has no chat form, and no
// max_completion_tokens when the cap is the default (context - prompt): the
// server applies that rule to the prompt as it tokenized it.
std::string BuildRequestBody(const PlannedRequest& r, const BodyOptions& opts);

// One short English word per id (a fixed list indexed by id), space-joined:
// a chat prompt of about as many tokens as ids.
std::string PromptWords(const std::vector<int32_t>& ids);

}  // namespace cacheopt::bench
