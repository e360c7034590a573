#include "server/openai_request.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "server/json_field.h"
#include "server/response_format.h"

namespace cacheopt {
namespace {

using json = nlohmann::json;
using MaybeError = MaybeApiError;

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
constexpr size_t kMaxStops = 4;  // OpenAI's limit

// Everything one body's fields write; cross-field checks run at the end.
struct ParseState {
  const RequestLimits* limits = nullptr;
  CompletionRequest req;
  bool chat_logprobs = false;  // chat's logprobs: true
  int32_t top_logprobs = 0;    // chat's top_logprobs
  bool has_top_logprobs = false;
  int64_t best_of = 1;
  bool has_prompt = false;
  bool has_messages = false;
  bool has_stream_options = false;
  bool has_tool_choice = false;
  std::optional<int32_t> max_completion_tokens;
};

using Handler = MaybeError (*)(const json& v, ParseState* s);

// ---- prompt and messages ----

MaybeError ParseTokenIds(const json& arr, std::string_view field, std::vector<int32_t>* out) {
  out->clear();
  out->reserve(arr.size());
  for (size_t i = 0; i < arr.size(); ++i) {
    std::string f = std::string(field) + "[" + std::to_string(i) + "]";
    int32_t id = 0;
    if (auto e = GetInt32(arr[i], f, 0, "a non-negative token id", &id)) return e;
    out->push_back(id);
  }
  return std::nullopt;
}

MaybeError ParsePrompt(const json& v, ParseState* s) {
  constexpr std::string_view kShape =
      "a string, an array of token ids, or an array of strings or of token-id arrays";
  s->has_prompt = true;
  auto& prompts = s->req.prompts;
  prompts.clear();
  if (v.is_string()) {
    prompts.push_back({v.get<std::string>(), {}, false});
    return std::nullopt;
  }
  if (!v.is_array()) return TypeError("prompt", kShape, v);
  if (v.empty()) return InvalidRequest("prompt", "'prompt' must not be empty");
  const json& first = v.front();
  if (first.is_number_integer()) {  // [1, 2, 3]: one token-id prompt
    PromptInput in{"", {}, true};
    if (auto e = ParseTokenIds(v, "prompt", &in.token_ids)) return e;
    prompts.push_back(std::move(in));
    return std::nullopt;
  }
  if (!first.is_string() && !first.is_array()) return TypeError("prompt", kShape, v);
  // A list of prompts: one choice group each.
  const auto max = static_cast<size_t>(s->limits->max_prompts);
  if (v.size() > max) {
    return InvalidRequest("prompt", "'prompt' holds " + std::to_string(v.size()) +
                                        " prompts; this server takes at most " + std::to_string(max) +
                                        " per request (--max-prompts)");
  }
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string f = "prompt[" + std::to_string(i) + "]";
    const json& x = v[i];
    if (first.is_string()) {
      if (!x.is_string()) return TypeError(f, "a string, as prompt[0] is", x);
      prompts.push_back({x.get<std::string>(), {}, false});
      continue;
    }
    if (!x.is_array()) return TypeError(f, "an array of token ids, as prompt[0] is", x);
    if (x.empty()) return InvalidRequest(f, Quoted(f) + " must not be empty");
    PromptInput in{"", {}, true};
    if (auto e = ParseTokenIds(x, f, &in.token_ids)) return e;
    prompts.push_back(std::move(in));
  }
  return std::nullopt;
}

MaybeError ParseContent(const json& v, const std::string& field, std::string* out) {
  if (v.is_null()) {  // an assistant turn may carry no content
    out->clear();
    return std::nullopt;
  }
  if (v.is_string()) {
    *out = v.get<std::string>();
    return std::nullopt;
  }
  if (!v.is_array()) return TypeError(field, "a string or an array of text parts", v);
  out->clear();
  for (size_t i = 0; i < v.size(); ++i) {
    std::string f = field + "[" + std::to_string(i) + "]";
    const json& part = v[i];
    if (!part.is_object()) return TypeError(f, "an object", part);
    auto type = part.find("type");
    if (type == part.end())
      return InvalidRequest(f + ".type", Quoted(f + ".type") + " is required");
    std::string t;
    if (auto e = GetString(*type, f + ".type", &t)) return e;
    if (t != "text") return Unsupported(f + ".type", "'" + t + "'; only 'text' parts are accepted");
    auto text = part.find("text");
    if (text == part.end())
      return InvalidRequest(f + ".text", Quoted(f + ".text") + " is required");
    std::string piece;
    if (auto e = GetString(*text, f + ".text", &piece)) return e;
    if (i > 0) out->push_back('\n');
    out->append(piece);
  }
  return std::nullopt;
}

MaybeError ParseMessages(const json& v, ParseState* s) {
  s->has_messages = true;
  if (!v.is_array()) return TypeError("messages", "an array", v);
  if (v.empty()) return InvalidRequest("messages", "'messages' must not be empty");
  s->req.messages.clear();
  for (size_t i = 0; i < v.size(); ++i) {
    std::string f = "messages[" + std::to_string(i) + "]";
    const json& m = v[i];
    if (!m.is_object()) return TypeError(f, "an object", m);
    ChatMessage msg;
    auto role = m.find("role");
    if (role == m.end()) return InvalidRequest(f + ".role", Quoted(f + ".role") + " is required");
    if (auto e = GetString(*role, f + ".role", &msg.role)) return e;
    if (auto content = m.find("content"); content != m.end()) {
      if (auto e = ParseContent(*content, f + ".content", &msg.content)) return e;
    }
    if (auto calls = m.find("tool_calls"); calls != m.end() && !calls->is_null()) {
      if (msg.role != "assistant")
        return InvalidRequest(f + ".tool_calls", Quoted(f + ".tool_calls") + " is only allowed on assistant messages");
      auto c = ParseMessageToolCalls(*calls, f + ".tool_calls");
      if (!c.ok()) return c.error();
      msg.tool_calls = std::move(*c);
    }
    if (auto id = m.find("tool_call_id"); id != m.end() && !id->is_null()) {
      if (auto e = GetString(*id, f + ".tool_call_id", &msg.tool_call_id)) return e;
    }
    s->req.messages.push_back(std::move(msg));
  }
  return std::nullopt;
}

// ---- length and sampling ----

MaybeError ParseMaxTokens(const json& v, ParseState* s) {
  int32_t x = 0;
  if (auto e = GetInt32(v, "max_tokens", 1, "a positive integer", &x)) return e;
  s->req.max_tokens = x;
  return std::nullopt;
}

MaybeError ParseMaxCompletionTokens(const json& v, ParseState* s) {
  int32_t x = 0;
  if (auto e = GetInt32(v, "max_completion_tokens", 1, "a positive integer", &x)) return e;
  s->max_completion_tokens = x;
  return std::nullopt;
}

MaybeError ParseTemperature(const json& v, ParseState* s) {
  double x = 0;
  if (auto e = GetNumber(v, "temperature", &x)) return e;
  if (x < 0 || x > 2) return TypeError("temperature", "between 0 and 2", v);
  s->req.temperature = x;
  return std::nullopt;
}

MaybeError ParseTopP(const json& v, ParseState* s) {
  double x = 0;
  if (auto e = GetNumber(v, "top_p", &x)) return e;
  if (!(x > 0 && x <= 1)) return TypeError("top_p", "in (0, 1]", v);
  s->req.top_p = x;
  return std::nullopt;
}

MaybeError ParseTopK(const json& v, ParseState* s) {
  int32_t x = 0;
  if (auto e = GetInt32(v, "top_k", -1, "-1, 0 (off) or a positive integer", &x)) return e;
  s->req.top_k = std::max(x, 0);
  return std::nullopt;
}

MaybeError ParseSeed(const json& v, ParseState* s) {
  if (!v.is_number_integer()) return TypeError("seed", "an integer", v);
  // Negative seeds are accepted (vLLM does); the bits are the seed.
  s->req.seed =
      v.is_number_unsigned() ? v.get<uint64_t>() : static_cast<uint64_t>(v.get<int64_t>());
  return std::nullopt;
}

MaybeError ParseStop(const json& v, ParseState* s) {
  auto& stop = s->req.stop;
  stop.clear();
  if (v.is_string()) {
    if (v.get_ref<const std::string&>().empty()) {
      return InvalidRequest("stop", "'stop' must not be an empty string");
    }
    stop.push_back(v.get<std::string>());
    return std::nullopt;
  }
  if (!v.is_array()) return TypeError("stop", "a string or an array of strings", v);
  if (v.size() > kMaxStops) {
    return InvalidRequest("stop", "'stop' holds " + std::to_string(v.size()) +
                                      " strings; at most " + std::to_string(kMaxStops) +
                                      " are allowed");
  }
  for (size_t i = 0; i < v.size(); ++i) {
    std::string f = "stop[" + std::to_string(i) + "]";
    std::string x;
    if (auto e = GetString(v[i], f, &x)) return e;
    if (x.empty()) return InvalidRequest(f, Quoted(f) + " must not be an empty string");
    stop.push_back(std::move(x));
  }
  return std::nullopt;
}

MaybeError ParseStopTokenIds(const json& v, ParseState* s) {
  if (!v.is_array()) return TypeError("stop_token_ids", "an array of token ids", v);
  return ParseTokenIds(v, "stop_token_ids", &s->req.stop_token_ids);
}

MaybeError ParseIgnoreEos(const json& v, ParseState* s) {
  return GetBool(v, "ignore_eos", &s->req.ignore_eos);
}

MaybeError ParseMinTokens(const json& v, ParseState* s) {
  return GetInt32(v, "min_tokens", 0, "a non-negative integer", &s->req.min_tokens);
}

MaybeError ParseEosAfter(const json& v, ParseState* s) {
  int32_t x = 0;
  if (auto e = GetInt32(v, "eos_after", -1, "a positive integer (or -1: off)", &x)) return e;
  if (x == 0) return TypeError("eos_after", "a positive integer (or -1: off)", v);
  s->req.eos_after = x;
  return std::nullopt;
}

// ---- streaming ----

MaybeError ParseStream(const json& v, ParseState* s) {
  return GetBool(v, "stream", &s->req.stream);
}

MaybeError ParseStreamOptions(const json& v, ParseState* s) {
  if (!v.is_object()) return TypeError("stream_options", "an object", v);
  s->has_stream_options = true;
  if (auto it = v.find("include_usage"); it != v.end() && !it->is_null()) {
    return GetBool(*it, "stream_options.include_usage", &s->req.include_usage);
  }
  return std::nullopt;  // other keys (continuous_usage_stats) are ignored
}

// ---- SLO extension and the rest ----

MaybeError ParseSloClassField(const json& v, ParseState* s) {
  constexpr std::string_view kWhat = "one of \"tight\", \"medium\", \"loose\"";
  if (!v.is_string()) return TypeError("slo_class", kWhat, v);
  auto c = ParseSloClass(v.get_ref<const std::string&>());
  if (!c) return TypeError("slo_class", kWhat, v);
  s->req.slo_class = *c;
  s->req.slo_class_given = true;
  return std::nullopt;
}

MaybeError GetPositiveMs(const json& v, std::string_view field, double* out) {
  if (auto e = GetNumber(v, field, out)) return e;
  if (!(*out > 0) || !std::isfinite(*out))
    return TypeError(field, "a positive number of milliseconds", v);
  return std::nullopt;
}

MaybeError ParseTtftSlo(const json& v, ParseState* s) {
  return GetPositiveMs(v, "ttft_slo_ms", &s->req.ttft_slo_ms);
}
MaybeError ParseTbtSlo(const json& v, ParseState* s) {
  return GetPositiveMs(v, "tbt_slo_ms", &s->req.tbt_slo_ms);
}

MaybeError ParseUser(const json& v, ParseState* s) { return GetString(v, "user", &s->req.user); }

// ---- choices, echo, log-probabilities, penalties, response_format ----

MaybeError ParseN(const json& v, ParseState* s) {
  const int32_t max = s->limits->max_n;
  int64_t n = 0;
  if (auto e = GetInt(v, "n", 1, kInt32Max, "a positive integer", &n)) return e;
  if (n > max) {
    return InvalidRequest("n", "'n' is " + std::to_string(n) + "; this server returns at most " +
                                   std::to_string(max) + " choices per prompt (--max-n)");
  }
  s->req.n = static_cast<int32_t>(n);
  return std::nullopt;
}

MaybeError ParseBestOf(const json& v, ParseState* s) {
  return GetInt(v, "best_of", 1, kInt32Max, "a positive integer", &s->best_of);
}

MaybeError ParseEcho(const json& v, ParseState* s) { return GetBool(v, "echo", &s->req.echo); }

MaybeError LogprobCount(const json& v, std::string_view field, ParseState* s, int32_t* out) {
  const int32_t max = s->limits->max_logprobs;
  int64_t n = 0;
  if (auto e = GetInt(v, field, 0, kInt32Max, "a non-negative integer", &n)) return e;
  if (n > max) {
    return InvalidRequest(std::string(field), Quoted(field) + " is " + std::to_string(n) + "; this server returns at most " +
                                     std::to_string(max) + " alternatives per token (--max-logprobs)");
  }
  *out = static_cast<int32_t>(n);
  return std::nullopt;
}

MaybeError ParseLogprobs(const json& v, ParseState* s) {
  if (s->req.kind == ApiKind::kChat) return GetBool(v, "logprobs", &s->chat_logprobs);
  // Completions: the number of alternatives per token (0: the sampled one's only).
  if (!v.is_number_integer()) return TypeError("logprobs", "an integer", v);
  return LogprobCount(v, "logprobs", s, &s->req.logprobs);
}

MaybeError ParseTopLogprobs(const json& v, ParseState* s) {
  s->has_top_logprobs = true;
  return LogprobCount(v, "top_logprobs", s, &s->top_logprobs);
}

MaybeError ParseSuffix(const json& v, ParseState*) {
  std::string x;
  if (auto e = GetString(v, "suffix", &x)) return e;
  if (!x.empty()) return Unsupported("suffix", "insertion (fill-in-the-middle) is not served");
  return std::nullopt;
}

MaybeError ParseLogitBias(const json& v, ParseState* s) {
  if (!v.is_object()) return TypeError("logit_bias", "an object mapping token ids to biases", v);
  auto& out = s->req.logit_bias;
  out.clear();
  for (const auto& [key, x] : v.items()) {
    const std::string f = "logit_bias." + key;
    // Keys are token ids written as decimal strings (JSON object keys).
    int64_t id = 0;
    bool digits = !key.empty() && key.size() <= 10;
    for (char c : key) digits = digits && c >= '0' && c <= '9';
    if (digits) id = std::stoll(key);
    if (!digits || id > kInt32Max) {
      return InvalidRequest(f, "'logit_bias' keys must be token ids (non-negative integers as strings), got \"" +
                                   key + "\"");
    }
    double bias = 0;
    if (auto e = GetNumber(x, f, &bias)) return e;
    if (!(bias >= -100 && bias <= 100)) return TypeError(f, "a bias between -100 and 100", x);
    out.push_back({static_cast<int32_t>(id), static_cast<float>(bias)});
  }
  std::sort(out.begin(), out.end());
  return std::nullopt;
}

MaybeError PenaltyIn(const json& v, std::string_view field, double lo, bool lo_open, double hi, double* out) {
  if (auto e = GetNumber(v, field, out)) return e;
  const bool ok = (lo_open ? *out > lo : *out >= lo) && *out <= hi;
  if (!ok) {
    return TypeError(field, std::string("in ") + (lo_open ? "(" : "[") + std::to_string(static_cast<int>(lo)) +
                                ", " + std::to_string(static_cast<int>(hi)) + "]",
                     v);
  }
  return std::nullopt;
}

MaybeError ParsePresencePenalty(const json& v, ParseState* s) {
  return PenaltyIn(v, "presence_penalty", -2, false, 2, &s->req.presence_penalty);
}
MaybeError ParseFrequencyPenalty(const json& v, ParseState* s) {
  return PenaltyIn(v, "frequency_penalty", -2, false, 2, &s->req.frequency_penalty);
}
MaybeError ParseRepetitionPenalty(const json& v, ParseState* s) {
  return PenaltyIn(v, "repetition_penalty", 0, true, 2, &s->req.repetition_penalty);
}

MaybeError NumberMustBe(const json& v, std::string_view field, int noop) {
  double x = 0;
  if (auto e = GetNumber(v, field, &x)) return e;
  if (x != noop) {
    return Unsupported(field, "only " + std::to_string(noop) + " (off) is served, got " + v.dump());
  }
  return std::nullopt;
}
MaybeError ParseMinP(const json& v, ParseState*) { return NumberMustBe(v, "min_p", 0); }

MaybeError ParseUseBeamSearch(const json& v, ParseState*) {
  bool b = false;
  if (auto e = GetBool(v, "use_beam_search", &b)) return e;
  if (b) return Unsupported("use_beam_search", "only sampling is served");
  return std::nullopt;
}

MaybeError EmptyArrayOnly(const json& v, std::string_view field) {
  if (!v.is_array()) return TypeError(field, "an array", v);
  if (!v.empty()) return Unsupported(field, "the legacy function-calling fields are not served; use 'tools'");
  return std::nullopt;
}
MaybeError ParseToolsField(const json& v, ParseState* s) {
  auto t = ParseTools(v);
  if (!t.ok()) return t.error();
  s->req.tools = std::move(*t);
  return std::nullopt;
}
MaybeError ParseFunctions(const json& v, ParseState*) { return EmptyArrayOnly(v, "functions"); }

MaybeError NoneOnly(const json& v, std::string_view field) {
  if (v.is_string() && v.get_ref<const std::string&>() == "none") return std::nullopt;
  return Unsupported(field, "the legacy function-calling fields are not served (only \"none\"); use 'tool_choice'");
}
MaybeError ParseToolChoiceField(const json& v, ParseState* s) {
  auto c = ParseToolChoice(v);
  if (!c.ok()) return c.error();
  s->req.tool_choice = *c;
  s->has_tool_choice = true;
  return std::nullopt;
}
MaybeError ParseFunctionCall(const json& v, ParseState*) { return NoneOnly(v, "function_call"); }
MaybeError ParseParallelToolCalls(const json& v, ParseState*) {
  bool b = false;
  return GetBool(v, "parallel_tool_calls", &b);  // meaningless without tools
}

MaybeError ParseResponseFormatField(const json& v, ParseState* s) {
  auto rf = ParseResponseFormat(v);
  if (!rf.ok()) return rf.error();
  s->req.json_schema = rf->schema;
  return std::nullopt;
}

// ---- chat fields of other products (audio, reasoning, storage) ----

MaybeError Refused(const json&, std::string_view field, std::string_view why) { return Unsupported(field, why); }
MaybeError ParseAudio(const json& v, ParseState*) { return Refused(v, "audio", "audio output is not served"); }
MaybeError ParsePrediction(const json& v, ParseState*) {
  return Refused(v, "prediction", "predicted outputs are not served");
}
MaybeError ParseReasoningEffort(const json& v, ParseState*) {
  return Refused(v, "reasoning_effort", "the served model is not a reasoning model");
}
MaybeError ParseVerbosity(const json& v, ParseState*) {
  return Refused(v, "verbosity", "verbosity control is not served");
}
MaybeError ParseWebSearchOptions(const json& v, ParseState*) {
  return Refused(v, "web_search_options", "web search is not served");
}

MaybeError ParseModalities(const json& v, ParseState*) {
  if (!v.is_array()) return TypeError("modalities", "an array", v);
  for (const json& m : v)
    if (!m.is_string() || m.get_ref<const std::string&>() != "text")
      return Unsupported("modalities", "only [\"text\"] is served, got " + v.dump());
  return std::nullopt;
}

MaybeError ParseStore(const json& v, ParseState*) {
  bool b = false;
  if (auto e = GetBool(v, "store", &b)) return e;
  if (b) return Unsupported("store", "completions are not stored");
  return std::nullopt;
}

MaybeError ParseServiceTier(const json& v, ParseState*) {
  std::string t;
  if (auto e = GetString(v, "service_tier", &t)) return e;
  if (t != "auto" && t != "default")
    return Unsupported("service_tier", "'" + t + "'; one tier is served ('auto' or 'default')");
  return std::nullopt;
}

// Accepted: tags with no effect on the answer (nothing is stored).
MaybeError ParseMetadata(const json& v, ParseState*) {
  if (!v.is_object()) return TypeError("metadata", "an object of strings", v);
  for (const auto& [k, x] : v.items())
    if (!x.is_string()) return TypeError("metadata." + k, "a string", x);
  return std::nullopt;
}
// Accepted: the prefix cache is keyed by content, so a cache key adds nothing.
MaybeError ParsePromptCacheKey(const json& v, ParseState*) {
  std::string x;
  return GetString(v, "prompt_cache_key", &x);
}
MaybeError ParseSafetyIdentifier(const json& v, ParseState*) {
  std::string x;
  return GetString(v, "safety_identifier", &x);
}

// ---- the field table ----

constexpr uint8_t kCmp = 1, kCht = 2, kAny = kCmp | kCht;
uint8_t Bit(ApiKind k) { return k == ApiKind::kCompletion ? kCmp : kCht; }

struct Field {
  std::string_view name;
  uint8_t kinds;
  Handler parse;
};

// `model` is handled before the table (its error is a 404).
constexpr Field kFields[] = {
    {"prompt", kCmp, ParsePrompt},
    {"messages", kCht, ParseMessages},
    {"max_tokens", kAny, ParseMaxTokens},
    {"max_completion_tokens", kCht, ParseMaxCompletionTokens},
    {"temperature", kAny, ParseTemperature},
    {"top_p", kAny, ParseTopP},
    {"top_k", kAny, ParseTopK},
    {"seed", kAny, ParseSeed},
    {"stop", kAny, ParseStop},
    {"stop_token_ids", kAny, ParseStopTokenIds},
    {"ignore_eos", kAny, ParseIgnoreEos},
    {"min_tokens", kAny, ParseMinTokens},
    {"eos_after", kAny, ParseEosAfter},
    {"stream", kAny, ParseStream},
    {"stream_options", kAny, ParseStreamOptions},
    {"slo_class", kAny, ParseSloClassField},
    {"ttft_slo_ms", kAny, ParseTtftSlo},
    {"tbt_slo_ms", kAny, ParseTbtSlo},
    {"user", kAny, ParseUser},
    {"n", kAny, ParseN},
    {"best_of", kCmp, ParseBestOf},
    {"echo", kCmp, ParseEcho},
    {"suffix", kCmp, ParseSuffix},
    {"logprobs", kAny, ParseLogprobs},
    {"top_logprobs", kCht, ParseTopLogprobs},
    {"logit_bias", kAny, ParseLogitBias},
    {"presence_penalty", kAny, ParsePresencePenalty},
    {"frequency_penalty", kAny, ParseFrequencyPenalty},
    {"repetition_penalty", kAny, ParseRepetitionPenalty},
    {"min_p", kAny, ParseMinP},
    {"use_beam_search", kAny, ParseUseBeamSearch},
    {"tools", kCht, ParseToolsField},
    {"tool_choice", kCht, ParseToolChoiceField},
    {"functions", kCht, ParseFunctions},
    {"function_call", kCht, ParseFunctionCall},
    {"parallel_tool_calls", kCht, ParseParallelToolCalls},
    {"response_format", kAny, ParseResponseFormatField},
    {"audio", kCht, ParseAudio},
    {"modalities", kCht, ParseModalities},
    {"prediction", kCht, ParsePrediction},
    {"reasoning_effort", kCht, ParseReasoningEffort},
    {"verbosity", kCht, ParseVerbosity},
    {"web_search_options", kCht, ParseWebSearchOptions},
    {"store", kCht, ParseStore},
    {"service_tier", kCht, ParseServiceTier},
    {"metadata", kCht, ParseMetadata},
    {"prompt_cache_key", kCht, ParsePromptCacheKey},
    {"safety_identifier", kCht, ParseSafetyIdentifier},
};

const Field* FindField(std::string_view name, ApiKind kind) {
  for (const Field& f : kFields) {
    if (f.name == name && (f.kinds & Bit(kind))) return &f;
  }
  return nullptr;
}

}  // namespace

std::optional<SloClass> ParseSloClass(std::string_view s) {
  if (s == "tight") return SloClass::kTight;
  if (s == "medium") return SloClass::kMedium;
  if (s == "loose") return SloClass::kLoose;
  return std::nullopt;
}

std::optional<ApiError> CheckBodySize(size_t body_bytes, size_t limit) {
  if (body_bytes > limit) return PayloadTooLarge(body_bytes, limit);
  return std::nullopt;
}

ApiResult<CompletionRequest> ParseCompletionRequest(std::string_view body, ApiKind kind,
                                                    std::span<const std::string> served_models,
                                                    const RequestLimits& limits) {
  assert(!served_models.empty());
  json j;
  try {
    j = json::parse(body);
  } catch (const json::exception& e) {
    // Not only parse_error: a number beyond double ("1e400") throws
    // out_of_range.406, which escaped as a 500 (found by
    // fuzz/openai_request_fuzz.cc); it is a malformed body too.
    // what() starts "[json.exception.parse_error.101] "; the rest is the useful part.
    std::string what = e.what();
    if (auto p = what.find("] "); p != std::string::npos) what = what.substr(p + 2);
    return InvalidRequest("", "The request body is not valid JSON: " + what);
  }
  if (!j.is_object())
    return InvalidRequest("", "The request body must be a JSON object, got " + DescribeJson(j));

  ParseState s;
  s.limits = &limits;
  s.req.kind = kind;
  s.req.model = served_models.front();
  if (auto m = j.find("model"); m != j.end() && !m->is_null()) {
    if (auto e = GetString(*m, "model", &s.req.model)) return *e;
    if (std::find(served_models.begin(), served_models.end(), s.req.model) == served_models.end()) {
      return ModelNotFound(s.req.model);
    }
  }
  for (const auto& [key, value] : j.items()) {  // keys in sorted order: errors are deterministic
    if (key == "model") continue;
    const Field* f = FindField(key, kind);
    if (f == nullptr) {
      s.req.ignored_fields.push_back(key);
      continue;
    }
    if (value.is_null()) continue;  // null = absent
    if (auto e = f->parse(value, &s)) return *e;
  }

  CompletionRequest& r = s.req;
  if (kind == ApiKind::kCompletion && !s.has_prompt)
    return InvalidRequest("prompt", "'prompt' is required");
  if (kind == ApiKind::kChat && !s.has_messages)
    return InvalidRequest("messages", "'messages' is required");
  if (s.max_completion_tokens) r.max_tokens = s.max_completion_tokens;  // the newer name wins
  if (!r.prompts.empty()) {
    r.prompt = r.prompts.front().text;
    r.prompt_token_ids = r.prompts.front().token_ids;
    r.prompt_is_tokens = r.prompts.front().is_tokens;
  }
  if (kind == ApiKind::kChat) {
    if (s.has_top_logprobs && s.top_logprobs > 0 && !s.chat_logprobs)
      return InvalidRequest("top_logprobs", "'top_logprobs' requires 'logprobs' to be true");
    if (s.chat_logprobs) r.logprobs = s.top_logprobs;
  }
  if (s.best_of != 1 && s.best_of != r.n) {
    return Unsupported("best_of", "best_of " + std::to_string(s.best_of) +
                                      " with n " + std::to_string(r.n) +
                                      ": choosing the best of several samples is not served (best_of must be 1 or n)");
  }
  if (r.echo && r.logprobs >= 0) {
    return Unsupported("echo", "echo with logprobs needs the prompt's log-probabilities, which are not computed");
  }
  if (r.json_schema && (r.ignore_eos || r.eos_after > 0)) {
    return InvalidRequest(r.ignore_eos ? "ignore_eos" : "eos_after",
                          "'response_format' ends the text where the JSON value ends; it cannot be combined with '" +
                              std::string(r.ignore_eos ? "ignore_eos" : "eos_after") + "'");
  }
  if (kind == ApiKind::kChat) {
    using Mode = ToolChoice::Mode;
    const Mode mode = r.tool_choice.mode;
    if (r.tools.empty() && s.has_tool_choice && mode != Mode::kNone)
      return InvalidRequest("tool_choice", "'tool_choice' asks for a tool call, but 'tools' is empty or absent");
    if (mode == Mode::kNamed && !std::any_of(r.tools.begin(), r.tools.end(), [&](const ToolFunction& t) {
          return t.name == r.tool_choice.name;
        }))
      return InvalidRequest("tool_choice.function.name",
                            "'tool_choice.function.name' is '" + r.tool_choice.name + "', which is not in 'tools'");
    if (r.ToolsActive() && r.json_schema)
      return InvalidRequest("response_format", "'response_format' cannot be combined with 'tools' (a tool call "
                                               "has its own format); set 'tool_choice' to 'none' or drop one");
    if (r.ToolsActive() && mode != Mode::kAuto && (r.ignore_eos || r.eos_after > 0))
      return InvalidRequest(r.ignore_eos ? "ignore_eos" : "eos_after",
                            "a forced tool call ends where its JSON ends; it cannot be combined with '" +
                                std::string(r.ignore_eos ? "ignore_eos" : "eos_after") + "'");
  }
  if (s.has_stream_options && !r.stream) {
    return InvalidRequest("stream_options",
                          "'stream_options' is only allowed when 'stream' is true");
  }
  if (r.max_tokens && r.min_tokens > *r.max_tokens) {
    return InvalidRequest("min_tokens", "'min_tokens' (" + std::to_string(r.min_tokens) +
                                            ") must not exceed 'max_tokens' (" +
                                            std::to_string(*r.max_tokens) + ")");
  }
  return std::move(s.req);
}

ApiResult<int32_t> ResolveMaxTokens(const CompletionRequest& req, int32_t prompt_tokens,
                                    int32_t context_length) {
  const std::string where = req.kind == ApiKind::kChat ? "messages" : "prompt";
  const std::string sizes =
      "The model's context length is " + std::to_string(context_length) + " tokens";
  if (prompt_tokens >= context_length) {
    return InvalidRequest(where,
                          sizes + ", but the " + where + " is " + std::to_string(prompt_tokens) +
                              " tokens, leaving no room to generate; shorten '" + where + "'");
  }
  int32_t max_tokens = context_length - prompt_tokens;
  if (req.max_tokens) {
    int64_t total = int64_t{prompt_tokens} + *req.max_tokens;
    if (total > context_length) {
      return InvalidRequest("max_tokens",
                            sizes + ", but " + std::to_string(total) + " tokens were requested (" +
                                std::to_string(prompt_tokens) + " in the " + where + " and " +
                                std::to_string(*req.max_tokens) +
                                " in 'max_tokens'); reduce 'max_tokens' or the " + where);
    }
    max_tokens = *req.max_tokens;
  }
  if (req.min_tokens > max_tokens) {
    return InvalidRequest("min_tokens", "'min_tokens' (" + std::to_string(req.min_tokens) +
                                            ") exceeds the " + std::to_string(max_tokens) +
                                            " tokens left to generate");
  }
  return max_tokens;
}

std::optional<ApiError> CheckTokenIds(const CompletionRequest& req, int32_t vocab_size) {
  auto check = [&](const std::vector<int32_t>& ids, const char* field) -> MaybeError {
    for (int32_t id : ids) {
      if (id < 0 || id >= vocab_size) {
        return InvalidRequest(field, Quoted(field) + " holds token id " + std::to_string(id) +
                                         ", outside the vocabulary of " +
                                         std::to_string(vocab_size) + " tokens");
      }
    }
    return std::nullopt;
  };
  for (size_t i = 0; i < req.prompts.size(); ++i) {
    const std::string f = req.prompts.size() > 1 ? "prompt[" + std::to_string(i) + "]" : "prompt";
    if (auto e = check(req.prompts[i].token_ids, f.c_str())) return e;
  }
  if (req.prompts.empty()) {
    if (auto e = check(req.prompt_token_ids, "prompt")) return e;
  }
  for (const auto& [id, bias] : req.logit_bias) {
    if (id >= vocab_size) {
      const std::string f = "logit_bias." + std::to_string(id);
      return InvalidRequest(f, "'logit_bias' names token id " + std::to_string(id) + ", outside the vocabulary of " +
                                   std::to_string(vocab_size) + " tokens");
    }
  }
  return check(req.stop_token_ids, "stop_token_ids");
}

}  // namespace cacheopt
