// Fuzzes the OpenAI request parser (ParseCompletionRequest) with the input
// as a request body, parsed both as /v1/completions and as
// /v1/chat/completions, then the checks that run after tokenization
// (ResolveMaxTokens, CheckTokenIds) and the chat templates. Checks: an error
// is a 400 (404 model_not_found for an unknown model) with a message; an
// accepted request satisfies every documented field rule (ranges, at most 4
// non-empty stops, min_tokens <= max_tokens, stream_options only with stream,
// ignored_fields sorted and unique, ...); ResolveMaxTokens either fails or
// returns a cap that fits the context and is >= min_tokens.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "server/chat_template.h"
#include "server/openai_request.h"

namespace {

using namespace cacheopt;

const std::vector<std::string> kServed = {"micro", "stories260K"};

void CheckError(const ApiError& e) {
  FUZZ_CHECK(e.http_status == 400 || e.http_status == 404);
  FUZZ_CHECK(e.type == "invalid_request_error" && !e.message.empty());
  FUZZ_CHECK((e.http_status == 404) == (e.code == "model_not_found"));
}

void CheckRequest(const CompletionRequest& r, ApiKind kind) {
  FUZZ_CHECK(r.kind == kind);
  FUZZ_CHECK(std::find(kServed.begin(), kServed.end(), r.model) != kServed.end());
  if (kind == ApiKind::kCompletion) {
    FUZZ_CHECK(r.messages.empty());
    if (r.prompt_is_tokens) FUZZ_CHECK(r.prompt.empty() && !r.prompt_token_ids.empty());
    if (!r.prompt_is_tokens) FUZZ_CHECK(r.prompt_token_ids.empty());
  } else {
    FUZZ_CHECK(!r.messages.empty() && r.prompt.empty() && !r.prompt_is_tokens && r.prompt_token_ids.empty());
  }
  for (int32_t id : r.prompt_token_ids) FUZZ_CHECK(id >= 0);
  for (int32_t id : r.stop_token_ids) FUZZ_CHECK(id >= 0);
  FUZZ_CHECK(!r.max_tokens || *r.max_tokens >= 1);
  FUZZ_CHECK(r.temperature >= 0 && r.temperature <= 2);
  FUZZ_CHECK(r.top_p > 0 && r.top_p <= 1);
  FUZZ_CHECK(r.top_k >= 0);
  FUZZ_CHECK(r.stop.size() <= 4);
  for (const std::string& s : r.stop) FUZZ_CHECK(!s.empty());
  FUZZ_CHECK(r.min_tokens >= 0 && (!r.max_tokens || r.min_tokens <= *r.max_tokens));
  FUZZ_CHECK(r.eos_after == -1 || r.eos_after >= 1);
  FUZZ_CHECK(!r.include_usage || r.stream);
  FUZZ_CHECK(r.ttft_slo_ms == 0 || (std::isfinite(r.ttft_slo_ms) && r.ttft_slo_ms > 0));
  FUZZ_CHECK(r.tbt_slo_ms == 0 || (std::isfinite(r.tbt_slo_ms) && r.tbt_slo_ms > 0));
  FUZZ_CHECK(std::is_sorted(r.ignored_fields.begin(), r.ignored_fields.end()));
  FUZZ_CHECK(std::adjacent_find(r.ignored_fields.begin(), r.ignored_fields.end()) == r.ignored_fields.end());
  for (const std::string& f : r.ignored_fields) FUZZ_CHECK(f != "model");

  // After tokenization: a few prompt lengths against a few contexts.
  for (int32_t context : {1, 64, 512, 2147483647}) {
    for (int32_t prompt : {0, 1, 63, 600}) {
      ApiResult<int32_t> cap = ResolveMaxTokens(r, prompt, context);
      if (!cap.ok()) {
        CheckError(cap.error());
        continue;
      }
      FUZZ_CHECK(cap.value() >= 1 && int64_t{prompt} + cap.value() <= context);
      FUZZ_CHECK(cap.value() >= r.min_tokens);
      FUZZ_CHECK(!r.max_tokens || cap.value() == *r.max_tokens);
    }
  }
  for (int32_t vocab : {1, 384, 32000}) {
    if (auto e = CheckTokenIds(r, vocab)) CheckError(*e);
  }
  if (kind == ApiKind::kChat) {
    for (ChatTemplateKind t : {ChatTemplateKind::kLlama2, ChatTemplateKind::kPlain}) {
      ApiResult<ChatPrompt> p = ApplyChatTemplate(t, r.messages);
      if (!p.ok()) {
        CheckError(p.error());
        continue;
      }
      FUZZ_CHECK(!p->segments.empty() && !p->segments.back().eos);  // ends on the user's turn
      (void)p->Text();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  FUZZ_CHECK(!CheckBodySize(size));  // inputs are far below the 4 MiB limit
  for (ApiKind kind : {ApiKind::kCompletion, ApiKind::kChat}) {
    ApiResult<CompletionRequest> r = ParseCompletionRequest(body, kind, kServed);
    if (r.ok()) {
      CheckRequest(r.value(), kind);
    } else {
      CheckError(r.error());
    }
  }
  return 0;
}
