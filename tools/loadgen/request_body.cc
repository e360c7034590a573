#include "loadgen/request_body.h"

#include <array>
#include <nlohmann/json.hpp>

namespace cacheopt::bench {

EndpointKind EndpointKindOf(const std::string& endpoint) {
  const std::string chat = "chat/completions";
  const bool is_chat =
      endpoint.size() >= chat.size() && endpoint.compare(endpoint.size() - chat.size(), chat.size(), chat) == 0;
  return is_chat ? EndpointKind::kChat : EndpointKind::kCompletions;
}

std::string PromptWords(const std::vector<int32_t>& ids) {
  static constexpr std::array<const char*, 32> kWords = {
      "the", "a",    "and",  "of",  "to",  "in",   "was", "he",   "she",    "it",   "day",
      "cat", "dog",  "sun",  "big", "red", "ran",  "saw", "had",  "said",   "one",  "tree",
      "box", "ball", "home", "sky", "hat", "play", "mom", "park", "little", "happy"};
  std::string out;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out.push_back(' ');
    out += kWords[static_cast<size_t>(ids[i]) % kWords.size()];
  }
  return out;
}

std::string BuildRequestBody(const PlannedRequest& r, const BodyOptions& o) {
  nlohmann::json j;
  if (!o.model.empty()) j["model"] = o.model;
  if (o.kind == EndpointKind::kChat) {
    j["messages"] = nlohmann::json::array({{{"role", "user"}, {"content", PromptWords(r.prompt_ids)}}});
    if (!r.default_cap) j["max_completion_tokens"] = r.max_tokens;
  } else {
    j["prompt"] = r.prompt_ids;
    j["max_tokens"] = r.max_tokens;
  }
  j["temperature"] = 0.0;
  j["stream"] = true;
  j["stream_options"] = {{"include_usage", true}};
  j["eos_after"] = r.eos_after;
  if (o.ignore_eos) j["ignore_eos"] = true;
  j["slo_class"] = SloClassName(r.slo_class);
  if (r.ttft_slo_ms > 0) j["ttft_slo_ms"] = r.ttft_slo_ms;
  if (r.tbt_slo_ms > 0) j["tbt_slo_ms"] = r.tbt_slo_ms;
  return j.dump();
}

}  // namespace cacheopt::bench
