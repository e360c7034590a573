#include "server/openai_request.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <span>
#include <string>
#include <vector>

namespace cacheopt {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::vector<std::string> kModels = {"llama-2-7b", "stories15M"};

ApiResult<CompletionRequest> Completion(const std::string& body) {
  return ParseCompletionRequest(body, ApiKind::kCompletion, kModels);
}
ApiResult<CompletionRequest> Chat(const std::string& body) {
  return ParseCompletionRequest(body, ApiKind::kChat, kModels);
}
// A completion body with one extra field.
std::string With(const std::string& field_json) {
  return R"({"model": "llama-2-7b", "prompt": "hi", )" + field_json + "}";
}

TEST(OpenAiRequestTest, MinimalCompletionTakesDefaults) {
  auto r = Completion(R"({"prompt": "Once upon"})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->kind, ApiKind::kCompletion);
  EXPECT_EQ(r->model, "llama-2-7b");  // the first served model
  EXPECT_EQ(r->prompt, "Once upon");
  EXPECT_FALSE(r->prompt_is_tokens);
  EXPECT_FALSE(r->max_tokens.has_value());
  EXPECT_EQ(r->temperature, 1.0);
  EXPECT_EQ(r->top_p, 1.0);
  EXPECT_EQ(r->top_k, 0);
  EXPECT_FALSE(r->seed.has_value());
  EXPECT_FALSE(r->stream);
  EXPECT_EQ(r->slo_class, SloClass::kMedium);
  EXPECT_FALSE(r->slo_class_given);
  EXPECT_EQ(r->ttft_slo_ms, 0);
  EXPECT_EQ(r->eos_after, -1);
  EXPECT_TRUE(r->ignored_fields.empty());
}

TEST(OpenAiRequestTest, EveryFieldParses) {
  auto r = Completion(R"({
    "model": "stories15M", "prompt": "x", "max_tokens": 7, "temperature": 0.5, "top_p": 0.9,
    "top_k": 40, "seed": 123, "stop": ["\n", "END"], "stop_token_ids": [2, 5],
    "stream": true, "stream_options": {"include_usage": true}, "ignore_eos": true,
    "min_tokens": 3, "slo_class": "tight", "ttft_slo_ms": 500, "tbt_slo_ms": 50.5,
    "eos_after": 5, "user": "u1", "n": 1, "best_of": 1, "echo": false, "logprobs": null,
    "presence_penalty": 0, "frequency_penalty": 0.0, "repetition_penalty": 1, "suffix": "",
    "logit_bias": {}, "min_p": 0, "use_beam_search": false})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->model, "stories15M");
  EXPECT_EQ(r->max_tokens, 7);
  EXPECT_EQ(r->temperature, 0.5);
  EXPECT_EQ(r->top_p, 0.9);
  EXPECT_EQ(r->top_k, 40);
  EXPECT_EQ(r->seed, 123u);
  EXPECT_THAT(r->stop, ElementsAre("\n", "END"));
  EXPECT_THAT(r->stop_token_ids, ElementsAre(2, 5));
  EXPECT_TRUE(r->stream);
  EXPECT_TRUE(r->include_usage);
  EXPECT_TRUE(r->ignore_eos);
  EXPECT_EQ(r->min_tokens, 3);
  EXPECT_EQ(r->slo_class, SloClass::kTight);
  EXPECT_TRUE(r->slo_class_given);  // kept by the engine even with tbt_slo_ms
  EXPECT_EQ(r->ttft_slo_ms, 500);
  EXPECT_EQ(r->tbt_slo_ms, 50.5);
  EXPECT_EQ(r->eos_after, 5);
  EXPECT_EQ(r->user, "u1");
}

TEST(OpenAiRequestTest, SmallThingsMapAsDocumented) {
  EXPECT_EQ(Completion(With(R"("top_k": -1)"))->top_k, 0);
  EXPECT_EQ(Completion(With(R"("seed": -1)"))->seed, ~uint64_t{0});
  EXPECT_EQ(Completion(With(R"("seed": 18446744073709551615)"))->seed, ~uint64_t{0});
  EXPECT_THAT(Completion(With(R"("stop": "###")"))->stop, ElementsAre("###"));
  EXPECT_EQ(Completion(With(R"("slo_class": "loose")"))->slo_class, SloClass::kLoose);
  EXPECT_EQ(Completion(With(R"("eos_after": -1)"))->eos_after, -1);
  EXPECT_EQ(Completion(With(R"("temperature": 0)"))->temperature, 0);
  EXPECT_EQ(Completion(With(R"("temperature": 2)"))->temperature, 2);
  EXPECT_EQ(Completion(With(R"("top_p": 1)"))->top_p, 1);
  // null is "absent" everywhere.
  auto r =
      Completion(With(R"("max_tokens": null, "temperature": null, "stop": null, "model": null)"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->max_tokens.has_value());
  EXPECT_EQ(r->temperature, 1.0);
}

TEST(OpenAiRequestTest, PromptForms) {
  auto ids = Completion(R"({"prompt": [1, 15043, 3186]})");
  ASSERT_TRUE(ids.ok()) << ids.error().message;
  EXPECT_TRUE(ids->prompt_is_tokens);
  EXPECT_THAT(ids->prompt_token_ids, ElementsAre(1, 15043, 3186));

  auto one = Completion(R"({"prompt": ["just one"]})");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->prompt, "just one");

  auto nested = Completion(R"({"prompt": [[4, 5]]})");
  ASSERT_TRUE(nested.ok());
  EXPECT_THAT(nested->prompt_token_ids, ElementsAre(4, 5));

  EXPECT_TRUE(Completion(R"({"prompt": ""})").ok());  // BOS alone is a prompt
}

TEST(OpenAiRequestTest, UnknownFieldsAreIgnoredAndListed) {
  auto r = Completion(With(R"("zeta": 1, "alpha": {"x": 2}, "messages": [])"));
  ASSERT_TRUE(r.ok());
  // Chat-only fields are unknown to /v1/completions, and vice versa.
  EXPECT_THAT(r->ignored_fields, ElementsAre("alpha", "messages", "zeta"));
  auto c =
      Chat(R"({"messages": [{"role": "user", "content": "hi"}], "prompt": "x", "echo": true})");
  ASSERT_TRUE(c.ok());
  EXPECT_THAT(c->ignored_fields, ElementsAre("echo", "prompt"));
}

TEST(OpenAiRequestTest, ChatMessagesAndMaxCompletionTokens) {
  auto r = Chat(R"({"model": "llama-2-7b", "messages": [
      {"role": "system", "content": "Be brief."},
      {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
      {"role": "assistant", "content": null, "name": "bot"},
      {"role": "user", "content": "c"}],
      "max_tokens": 10, "max_completion_tokens": 20, "logprobs": false, "top_logprobs": 0,
      "tools": [], "tool_choice": "none", "response_format": {"type": "text"},
      "parallel_tool_calls": true})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->kind, ApiKind::kChat);
  ASSERT_EQ(r->messages.size(), 4u);
  EXPECT_EQ(r->messages[0].role, "system");
  EXPECT_EQ(r->messages[1].content, "a\nb");
  EXPECT_EQ(r->messages[2].content, "");
  EXPECT_EQ(r->max_tokens, 20);  // max_completion_tokens wins
  EXPECT_TRUE(r->ignored_fields.empty());
}

// ---- errors: each names its field ----

struct BadCase {
  const char* name;
  ApiKind kind;
  std::string body;
  std::string param;
  std::string message_part;
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class BadRequestTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadRequestTest, Is400NamingTheField) {
  const BadCase& c = GetParam();
  auto r = ParseCompletionRequest(c.body, c.kind, kModels);
  ASSERT_FALSE(r.ok()) << c.body;
  EXPECT_EQ(r.error().http_status, 400);
  EXPECT_EQ(r.error().type, "invalid_request_error");
  EXPECT_EQ(r.error().param, c.param);
  EXPECT_THAT(r.error().message, HasSubstr(c.message_part));
}

const auto C = ApiKind::kCompletion;
const auto H = ApiKind::kChat;
const std::string kMsgs = R"("messages": [{"role": "user", "content": "hi"}])";
std::string ChatWith(const std::string& f) { return "{" + kMsgs + ", " + f + "}"; }

INSTANTIATE_TEST_SUITE_P(
    Fields, BadRequestTest,
    ::testing::Values(
        BadCase{"malformed", C, R"({"prompt": )", "", "not valid JSON"},
        BadCase{"not_object", C, R"([1, 2])", "", "must be a JSON object, got an array"},
        BadCase{"model_type", C, R"({"model": 5, "prompt": "x"})", "model",
                "'model' must be a string, got 5"},
        BadCase{"no_prompt", C, R"({"max_tokens": 5})", "prompt", "'prompt' is required"},
        BadCase{"prompt_type", C, R"({"prompt": 5})", "prompt",
                "'prompt' must be a string, an array"},
        BadCase{"prompt_empty", C, R"({"prompt": []})", "prompt", "must not be empty"},
        BadCase{"prompt_list_over_limit", C, R"({"prompt": ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z", "1", "2", "3", "4", "5", "6", "7"]})",
                "prompt", "33 prompts; this server takes at most 32 per request (--max-prompts)"},
        BadCase{"prompt_list_mixed", C, R"({"prompt": ["a", [1, 2]]})", "prompt[1]", "a string, as prompt[0] is"},
        BadCase{"prompt_list_empty_ids", C, R"({"prompt": [[1], []]})", "prompt[1]", "must not be empty"},
        BadCase{"prompt_token", C, R"({"prompt": [1, -2]})", "prompt[1]",
                "a non-negative token id, got -2"},
        BadCase{"prompt_token_type", C, R"({"prompt": [1, "x"]})", "prompt[1]",
                "'prompt[1]' must be an integer"},
        BadCase{"prompt_mixed", C, R"({"prompt": [true]})", "prompt", "must be a string, an array"},
        BadCase{"max_tokens_neg", C, With(R"("max_tokens": -3)"), "max_tokens",
                "'max_tokens' must be a positive integer, got -3"},
        BadCase{"max_tokens_zero", C, With(R"("max_tokens": 0)"), "max_tokens",
                "positive integer, got 0"},
        BadCase{"max_tokens_float", C, With(R"("max_tokens": 2.5)"), "max_tokens",
                "must be an integer, got 2.5"},
        BadCase{"max_tokens_str", C, With(R"("max_tokens": "5")"), "max_tokens",
                "must be an integer, got the string \"5\""},
        BadCase{"max_tokens_huge", C, With(R"("max_tokens": 99999999999)"), "max_tokens",
                "positive integer"},
        BadCase{"max_completion_tokens", H, ChatWith(R"("max_completion_tokens": 0)"),
                "max_completion_tokens", "positive integer, got 0"},
        BadCase{"temperature_type", C, With(R"("temperature": "hot")"), "temperature",
                "'temperature' must be a number"},
        BadCase{"temperature_range", C, With(R"("temperature": 2.5)"), "temperature",
                "between 0 and 2, got 2.5"},
        BadCase{"temperature_neg", C, With(R"("temperature": -0.1)"), "temperature",
                "between 0 and 2"},
        BadCase{"top_p_zero", C, With(R"("top_p": 0)"), "top_p",
                "'top_p' must be in (0, 1], got 0"},
        BadCase{"top_p_big", C, With(R"("top_p": 1.5)"), "top_p", "in (0, 1]"},
        BadCase{"top_p_type", C, With(R"("top_p": [])"), "top_p", "must be a number, got an array"},
        BadCase{"top_k_range", C, With(R"("top_k": -2)"), "top_k", "got -2"},
        BadCase{"top_k_type", C, With(R"("top_k": 1.5)"), "top_k", "must be an integer"},
        BadCase{"seed_type", C, With(R"("seed": "1")"), "seed", "'seed' must be an integer"},
        BadCase{"seed_float", C, With(R"("seed": 1.5)"), "seed", "'seed' must be an integer"},
        BadCase{"stop_type", C, With(R"("stop": 5)"), "stop", "a string or an array of strings"},
        BadCase{"stop_elem", C, With(R"("stop": ["a", 5])"), "stop[1]",
                "'stop[1]' must be a string"},
        BadCase{"stop_many", C, With(R"("stop": ["a", "b", "c", "d", "e"])"), "stop", "at most 4"},
        BadCase{"stop_empty", C, With(R"("stop": "")"), "stop", "must not be an empty string"},
        BadCase{"stop_empty_elem", C, With(R"("stop": ["a", ""])"), "stop[1]",
                "must not be an empty string"},
        BadCase{"stop_ids_type", C, With(R"("stop_token_ids": 2)"), "stop_token_ids",
                "an array of token ids"},
        BadCase{"stop_ids_elem", C, With(R"("stop_token_ids": [2, -1])"), "stop_token_ids[1]",
                "non-negative"},
        BadCase{"stream_type", C, With(R"("stream": "yes")"), "stream",
                "'stream' must be a boolean"},
        BadCase{"stream_options_type", C, With(R"("stream": true, "stream_options": 1)"),
                "stream_options", "must be an object"},
        BadCase{"include_usage_type", C,
                With(R"("stream": true, "stream_options": {"include_usage": 1})"),
                "stream_options.include_usage", "must be a boolean"},
        BadCase{"stream_options_no_stream", C, With(R"("stream_options": {"include_usage": true})"),
                "stream_options", "only allowed when 'stream' is true"},
        BadCase{"ignore_eos_type", C, With(R"("ignore_eos": 1)"), "ignore_eos",
                "must be a boolean, got 1"},
        BadCase{"min_tokens_neg", C, With(R"("min_tokens": -1)"), "min_tokens",
                "non-negative integer, got -1"},
        BadCase{"min_tokens_over_max", C, With(R"("min_tokens": 9, "max_tokens": 5)"), "min_tokens",
                "'min_tokens' (9) must not exceed 'max_tokens' (5)"},
        BadCase{"slo_class_value", C, With(R"("slo_class": "urgent")"), "slo_class",
                "one of \"tight\", \"medium\", \"loose\", got the string \"urgent\""},
        BadCase{"slo_class_type", C, With(R"("slo_class": 1)"), "slo_class", "one of"},
        BadCase{"ttft_slo_neg", C, With(R"("ttft_slo_ms": -5)"), "ttft_slo_ms",
                "positive number of milliseconds"},
        BadCase{"tbt_slo_zero", C, With(R"("tbt_slo_ms": 0)"), "tbt_slo_ms", "positive number"},
        BadCase{"tbt_slo_type", C, With(R"("tbt_slo_ms": "50")"), "tbt_slo_ms", "must be a number"},
        BadCase{"eos_after_zero", C, With(R"("eos_after": 0)"), "eos_after",
                "positive integer (or -1: off), got 0"},
        BadCase{"eos_after_type", C, With(R"("eos_after": "3")"), "eos_after",
                "must be an integer"},
        BadCase{"user_type", C, With(R"("user": 7)"), "user", "'user' must be a string"},
        BadCase{"n_over_limit", C, With(R"("n": 17)"), "n", "at most 16 choices per prompt (--max-n)"},
        BadCase{"n_zero", C, With(R"("n": 0)"), "n", "positive integer"},
        BadCase{"n_type", C, With(R"("n": "1")"), "n", "must be an integer"},
        BadCase{"best_of", C, With(R"("best_of": 3)"), "best_of", "best_of must be 1 or n"},
        BadCase{"echo_type", C, With(R"("echo": 1)"), "echo", "must be a boolean"},
        BadCase{"echo_logprobs", C, With(R"("echo": true, "logprobs": 1)"), "echo",
                "prompt's log-probabilities"},
        BadCase{"logprobs_over_limit", C, With(R"("logprobs": 21)"), "logprobs",
                "at most 20 alternatives per token (--max-logprobs)"},
        BadCase{"logprobs_bool_completion", C, With(R"("logprobs": true)"), "logprobs", "must be an integer"},
        BadCase{"logprobs_chat_int", H, ChatWith(R"("logprobs": 2)"), "logprobs", "must be a boolean"},
        BadCase{"top_logprobs_over_limit", H, ChatWith(R"("logprobs": true, "top_logprobs": 21)"), "top_logprobs",
                "at most 20"},
        BadCase{"top_logprobs_without_logprobs", H, ChatWith(R"("top_logprobs": 2)"), "top_logprobs",
                "requires 'logprobs' to be true"},
        BadCase{"suffix", C, With(R"("suffix": "end")"), "suffix", "not supported"},
        BadCase{"logit_bias_type", C, With(R"("logit_bias": [1])"), "logit_bias", "an object mapping token ids"},
        BadCase{"logit_bias_key", C, With(R"("logit_bias": {"abc": 1})"), "logit_bias.abc",
                "keys must be token ids"},
        BadCase{"logit_bias_negative_key", C, With(R"("logit_bias": {"-5": 1})"), "logit_bias.-5",
                "keys must be token ids"},
        BadCase{"logit_bias_range", C, With(R"("logit_bias": {"5": 101})"), "logit_bias.5",
                "between -100 and 100, got 101"},
        BadCase{"logit_bias_value_type", C, With(R"("logit_bias": {"5": "x"})"), "logit_bias.5",
                "must be a number"},
        BadCase{"presence_penalty", C, With(R"("presence_penalty": 2.5)"), "presence_penalty",
                "in [-2, 2], got 2.5"},
        BadCase{"frequency_penalty", C, With(R"("frequency_penalty": -3)"), "frequency_penalty", "in [-2, 2]"},
        BadCase{"repetition_penalty", C, With(R"("repetition_penalty": 0)"), "repetition_penalty",
                "in (0, 2], got 0"},
        BadCase{"min_p", C, With(R"("min_p": 0.1)"), "min_p", "not supported"},
        BadCase{"beam", C, With(R"("use_beam_search": true)"), "use_beam_search", "not supported"},
        BadCase{"tools", H, ChatWith(R"("tools": [{"type": "function"}])"), "tools[0].function",
                "is required"},
        BadCase{"tools_type", H, ChatWith(R"("tools": [{"type": "retrieval", "function": {"name": "f"}}])"),
                "tools[0].type", "only 'function' tools"},
        BadCase{"tools_name", H, ChatWith(R"("tools": [{"type": "function", "function": {"description": "d"}}])"),
                "tools[0].function.name", "is required"},
        BadCase{"tools_dup", H,
                ChatWith(R"("tools": [{"type": "function", "function": {"name": "f"}},
                                      {"type": "function", "function": {"name": "f"}}])"),
                "tools[1].function.name", "repeats"},
        BadCase{"tools_params", H,
                ChatWith(R"("tools": [{"type": "function", "function": {"name": "f", "parameters": 3}}])"),
                "tools[0].function.parameters", "JSON schema object"},
        BadCase{"tool_choice", H, ChatWith(R"("tool_choice": "auto")"), "tool_choice", "'tools' is empty"},
        BadCase{"tool_choice_word", H,
                ChatWith(R"("tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": "any")"),
                "tool_choice", "must be 'none', 'auto', 'required'"},
        BadCase{"tool_choice_unknown", H,
                ChatWith(R"("tools": [{"type": "function", "function": {"name": "f"}}],
                            "tool_choice": {"type": "function", "function": {"name": "g"}})"),
                "tool_choice.function.name", "not in 'tools'"},
        BadCase{"tools_response_format", H,
                ChatWith(R"("tools": [{"type": "function", "function": {"name": "f"}}],
                            "response_format": {"type": "json_object"})"),
                "response_format", "cannot be combined with 'tools'"},
        BadCase{"tool_calls_on_user", H,
                R"({"messages": [{"role": "user", "content": "x", "tool_calls": []}]})", "messages[0].tool_calls",
                "only allowed on assistant"},
        BadCase{"tool_call_args", H,
                R"({"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "tool_calls":
                   [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "[1"}}]},
                   {"role": "tool", "tool_call_id": "c", "content": "1"}]})",
                "messages[1].tool_calls[0].function.arguments", "JSON object as a string"},
        BadCase{"response_format_type", H, ChatWith(R"("response_format": {"type": "xml"})"),
                "response_format.type", "'xml'"},
        BadCase{"response_format_missing_type", H, ChatWith(R"("response_format": {})"),
                "response_format.type", "is required"},
        BadCase{"schema_oneof", H,
                ChatWith(R"("response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"oneOf": [{"type": "string"}]}}})"),
                "response_format.json_schema.schema.oneOf", "the keyword \"oneOf\""},
        BadCase{"schema_anyof_beside_type", H,
                ChatWith(R"("response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"anyOf": [{"type": "string"}], "type": "string"}}})"),
                "response_format.json_schema.schema.type", "beside anyOf"},
        BadCase{"schema_anyof_empty", H,
                ChatWith(R"("response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"anyOf": []}}})"),
                "response_format.json_schema.schema.anyOf", "non-empty array"},
        BadCase{"schema_anyof_inner", H,
                ChatWith(R"("response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"anyOf": [{"type": "string", "pattern": "a"}]}}})"),
                "response_format.json_schema.schema.anyOf[0].pattern", "pattern"},
        BadCase{"schema_nested_minimum", H,
                ChatWith(R"("response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object", "properties": {"age": {"type": "integer", "minimum": 0}}}}})"),
                "response_format.json_schema.schema.properties.age.minimum", "outside the supported JSON-schema subset"},
        BadCase{"schema_type_list", H,
                ChatWith(R"("response_format": {"type": "json_schema", "json_schema": {"schema": {"type": ["string", "null"]}}})"),
                "response_format.json_schema.schema.type", "a list of types"},
        BadCase{"schema_pattern", H,
                ChatWith(R"("response_format": {"type": "json_schema", "json_schema": {"schema": {"type": "string", "pattern": "a+"}}})"),
                "response_format.json_schema.schema.pattern", "pattern"},
        BadCase{"schema_ref", H,
                ChatWith(R"("response_format": {"type": "json_schema", "json_schema": {"schema": {"$ref": "#/x"}}})"),
                "response_format.json_schema.schema.$ref", "$ref"},
        BadCase{"schema_required_unknown", H,
                ChatWith(R"("response_format": {"type": "json_schema", "json_schema": {"schema": {"type": "object", "properties": {}, "required": ["a"]}}})"),
                "response_format.json_schema.schema.required", "names \"a\", which is not in 'properties'"},
        BadCase{"schema_additional_schema", H,
                ChatWith(R"("response_format": {"type": "json_schema", "json_schema": {"schema": {"type": "object", "additionalProperties": {"type": "string"}}}})"),
                "response_format.json_schema.schema.additionalProperties", "additionalProperties other than true or false"},
        BadCase{"schema_enum_object", H,
                ChatWith(R"("response_format": {"type": "json_schema", "json_schema": {"schema": {"enum": [{"a": 1}]}}})"),
                "response_format.json_schema.schema.enum", "an object or array value"},
        BadCase{"schema_enum_type", H,
                ChatWith(R"("response_format": {"type": "json_schema", "json_schema": {"schema": {"type": "string", "enum": ["a", 1]}}})"),
                "response_format.json_schema.schema.enum", "holds 1, not of type \"string\""},
        BadCase{"response_format_ignore_eos", H,
                ChatWith(R"("response_format": {"type": "json_object"}, "ignore_eos": true)"), "ignore_eos",
                "cannot be combined"},
        BadCase{"audio", H, ChatWith(R"("audio": {"voice": "alloy", "format": "mp3"})"), "audio", "not supported"},
        BadCase{"modalities", H, ChatWith(R"("modalities": ["text", "audio"])"), "modalities", "only [\"text\"]"},
        BadCase{"prediction", H, ChatWith(R"("prediction": {"type": "content", "content": "x"})"), "prediction",
                "not supported"},
        BadCase{"reasoning_effort", H, ChatWith(R"("reasoning_effort": "low")"), "reasoning_effort",
                "not a reasoning model"},
        BadCase{"verbosity", H, ChatWith(R"("verbosity": "low")"), "verbosity", "not supported"},
        BadCase{"web_search_options", H, ChatWith(R"("web_search_options": {})"), "web_search_options",
                "not supported"},
        BadCase{"store", H, ChatWith(R"("store": true)"), "store", "not stored"},
        BadCase{"service_tier", H, ChatWith(R"("service_tier": "flex")"), "service_tier", "one tier"},
        BadCase{"metadata_type", H, ChatWith(R"("metadata": {"a": 1})"), "metadata.a", "must be a string"},
        BadCase{"no_messages", H, R"({"model": "llama-2-7b"})", "messages",
                "'messages' is required"},
        BadCase{"messages_type", H, R"({"messages": "hi"})", "messages", "must be an array"},
        BadCase{"messages_empty", H, R"({"messages": []})", "messages", "must not be empty"},
        BadCase{"message_type", H, R"({"messages": ["hi"]})", "messages[0]", "must be an object"},
        BadCase{"message_role_missing", H, R"({"messages": [{"content": "hi"}]})",
                "messages[0].role", "is required"},
        BadCase{"message_role_type", H, R"({"messages": [{"role": 1, "content": "hi"}]})",
                "messages[0].role", "must be a string"},
        BadCase{"message_content_type", H, R"({"messages": [{"role": "user", "content": 3}]})",
                "messages[0].content", "a string or an array of text parts"},
        BadCase{
            "message_part_image", H,
            R"({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]})",
            "messages[0].content[0].type", "only 'text' parts"},
        BadCase{"message_part_text_type", H,
                R"({"messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}]})",
                "messages[0].content[0].text", "must be a string"}),
    [](const auto& tp) { return std::string(tp.param.name); });

TEST(OpenAiRequestTest, UnknownModelIs404) {
  auto r = Completion(R"({"model": "gpt-4", "prompt": "x", "temperature": "bad"})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().http_status, 404);
  EXPECT_EQ(r.error().code, "model_not_found");
  EXPECT_EQ(r.error().param, "model");
  EXPECT_THAT(r.error().message, HasSubstr("'gpt-4' does not exist"));
}

TEST(OpenAiRequestTest, BodySizeLimitIs413) {
  EXPECT_FALSE(CheckBodySize(100, 100).has_value());
  auto e = CheckBodySize(101, 100);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->http_status, 413);
  EXPECT_THAT(e->message, HasSubstr("101 bytes"));
  EXPECT_THAT(e->message, HasSubstr("limit of 100 bytes"));
  EXPECT_TRUE(CheckBodySize(kDefaultMaxBodyBytes + 1).has_value());
}

TEST(OpenAiRequestTest, DeeplyNestedJsonIsAnErrorNotACrash) {
  std::string body(100000, '[');
  auto r = Completion(body);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().http_status, 400);
}

// Found by fuzz/openai_request_fuzz.cc: a number beyond double made the JSON
// library throw out_of_range (not parse_error), which escaped the parser and
// became a 500; it is a 400 like any malformed body.
TEST(OpenAiRequestTest, NumberOverflowIsA400NotAnException) {
  // The fuzzer's input as it found it (cut off after the overflowing number).
  const std::string crash(
      "{\"model\": \"micro\", \"prompt\": [1e3080, 2, 0], \"stop\": \"\\n\", \"s[[3, 2\0\0z\0", 71);
  for (const std::string& body : {crash, std::string(R"({"prompt": "x", "temperature": 1e400})"),
                                  std::string(R"({"prompt": [-1e999]})")}) {
    for (ApiKind kind : {ApiKind::kCompletion, ApiKind::kChat}) {
      auto r = ParseCompletionRequest(body, kind, kModels);
      ASSERT_FALSE(r.ok()) << body;
      EXPECT_EQ(r.error().http_status, 400);
      EXPECT_EQ(r.error().param, "");
      EXPECT_THAT(r.error().message, HasSubstr("not valid JSON: number overflow parsing '"));
    }
  }
}

TEST(OpenAiRequestTest, ResolveMaxTokensAgainstTheContext) {
  CompletionRequest req;
  auto def = ResolveMaxTokens(req, 100, 2048);
  ASSERT_TRUE(def.ok());
  EXPECT_EQ(def.value(), 1948);  // default: the rest of the context

  req.max_tokens = 1948;
  EXPECT_EQ(ResolveMaxTokens(req, 100, 2048).value(), 1948);

  req.max_tokens = 2000;
  auto over = ResolveMaxTokens(req, 100, 2048);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().http_status, 400);
  EXPECT_EQ(over.error().param, "max_tokens");
  EXPECT_THAT(over.error().message, HasSubstr("context length is 2048 tokens"));
  EXPECT_THAT(over.error().message,
              HasSubstr("2100 tokens were requested (100 in the prompt and 2000"));

  req.max_tokens.reset();
  auto full = ResolveMaxTokens(req, 2048, 2048);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().param, "prompt");
  EXPECT_THAT(full.error().message, HasSubstr("the prompt is 2048 tokens"));

  req.kind = ApiKind::kChat;
  EXPECT_EQ(ResolveMaxTokens(req, 4000, 2048).error().param, "messages");

  req.min_tokens = 50;
  auto min = ResolveMaxTokens(req, 2000, 2048);
  ASSERT_FALSE(min.ok());
  EXPECT_EQ(min.error().param, "min_tokens");
  EXPECT_THAT(min.error().message, HasSubstr("48 tokens left"));
}

TEST(OpenAiRequestTest, TokenIdsCheckedAgainstTheVocabulary) {
  auto r = Completion(R"({"prompt": [1, 31999], "stop_token_ids": [2]})");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(CheckTokenIds(r.value(), 32000).has_value());
  auto e = CheckTokenIds(r.value(), 32);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->param, "prompt");
  EXPECT_THAT(e->message, HasSubstr("token id 31999, outside the vocabulary of 32 tokens"));
  r->prompts[0].token_ids = {1};
  r->prompt_token_ids = {1};
  r->stop_token_ids = {40};
  EXPECT_EQ(CheckTokenIds(r.value(), 32)->param, "stop_token_ids");
}

TEST(OpenAiRequestTest, ParseSloClassNames) {
  EXPECT_EQ(ParseSloClass("tight"), SloClass::kTight);
  EXPECT_EQ(ParseSloClass("medium"), SloClass::kMedium);
  EXPECT_EQ(ParseSloClass("loose"), SloClass::kLoose);
  EXPECT_FALSE(ParseSloClass("Tight").has_value());
}

// ---- the audit: every OpenAI request field is served or refused ----

// A summary of everything a parsed request carries that changes the answer.
std::string Effect(const CompletionRequest& r) {
  std::string s;
  auto add = [&](const std::string& k, const std::string& v) { s += k + "=" + v + ";"; };
  add("prompts", std::to_string(r.prompts.size()));
  add("messages", std::to_string(r.messages.size()));
  add("max_tokens", r.max_tokens ? std::to_string(*r.max_tokens) : "-");
  add("temperature", std::to_string(r.temperature));
  add("top_p", std::to_string(r.top_p));
  add("seed", r.seed ? std::to_string(*r.seed) : "-");
  add("stop", std::to_string(r.stop.size()));
  add("stream", std::to_string(r.stream) + std::to_string(r.include_usage));
  add("n", std::to_string(r.n));
  add("echo", std::to_string(r.echo));
  add("logprobs", std::to_string(r.logprobs));
  add("penalties", std::to_string(r.presence_penalty) + "," + std::to_string(r.frequency_penalty));
  add("bias", std::to_string(r.logit_bias.size()));
  add("schema", r.json_schema ? "yes" : "no");
  add("tools", std::to_string(r.tools.size()) + "," + std::to_string(static_cast<int>(r.tool_choice.mode)));
  add("model", r.model);
  return s;
}

struct FieldProbe {
  std::string_view field;
  std::string value;  // a value a client sends to use the field (not its no-op)
};

// openai-node 4.95.0 resources/completions.d.ts CompletionCreateParamsBase,
// every field.
const FieldProbe kCompletionProbes[] = {
    {"model", R"("stories15M")"},       {"prompt", R"(["a", "b"])"},
    {"best_of", "3"},                   {"echo", "true"},
    {"frequency_penalty", "0.5"},       {"logit_bias", R"({"5": 10})"},
    {"logprobs", "2"},                  {"max_tokens", "7"},
    {"n", "2"},                         {"presence_penalty", "0.5"},
    {"seed", "3"},                      {"stop", R"("x")"},
    {"stream", "true"},                 {"stream_options", R"({"include_usage": true})"},
    {"suffix", R"("end")"},             {"temperature", "0.5"},
    {"top_p", "0.5"},                   {"user", R"("u")"},
};
// openai-node 4.95.0 resources/chat/completions/completions.d.ts
// ChatCompletionCreateParamsBase, every field, and the current reference's
// prompt_cache_key, safety_identifier and verbosity.
const FieldProbe kChatProbes[] = {
    {"messages", R"([{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}])"},
    {"model", R"("stories15M")"},
    {"audio", R"({"voice": "alloy", "format": "wav"})"},
    {"frequency_penalty", "0.5"},
    {"function_call", R"("auto")"},
    {"functions", R"([{"name": "f"}])"},
    {"logit_bias", R"({"5": 10})"},
    {"logprobs", "true"},
    {"max_completion_tokens", "7"},
    {"max_tokens", "7"},
    {"metadata", R"({"k": "v"})"},
    {"modalities", R"(["text", "audio"])"},
    {"n", "2"},
    {"parallel_tool_calls", "false"},
    {"prediction", R"({"type": "content", "content": "x"})"},
    {"presence_penalty", "0.5"},
    {"reasoning_effort", R"("high")"},
    {"response_format", R"({"type": "json_object"})"},
    {"seed", "3"},
    {"service_tier", R"("flex")"},
    {"stop", R"("x")"},
    {"store", "true"},
    {"stream", "true"},
    {"stream_options", R"({"include_usage": true})"},
    {"temperature", "0.5"},
    {"tool_choice", R"("required")"},
    {"tools", R"([{"type": "function", "function": {"name": "f"}}])"},
    {"top_logprobs", "2"},
    {"top_p", "0.5"},
    {"user", R"("u")"},
    {"web_search_options", "{}"},
    {"prompt_cache_key", R"("k")"},
    {"safety_identifier", R"("s")"},
    {"verbosity", R"("low")"},
};

// Accepted fields that by design leave the answer as it is (documented in
// docs/server.md): bookkeeping and hints.
const std::string_view kNoEffect[] = {"user", "metadata", "parallel_tool_calls", "prompt_cache_key",
                                      "safety_identifier"};

void Audit(ApiKind kind, std::span<const FieldProbe> probes) {
  const std::string base = kind == ApiKind::kChat ? R"("messages": [{"role": "user", "content": "hi"}])"
                                                  : R"("prompt": "hi")";
  auto parse = [&](const std::string& extra) {
    std::string body = "{" + base + (extra.empty() ? "" : ", " + extra) + "}";
    return ParseCompletionRequest(body, kind, kModels);
  };
  auto plain = parse("");
  ASSERT_TRUE(plain.ok());
  for (const FieldProbe& p : probes) {
    std::string extra = "\"" + std::string(p.field) + "\": " + p.value;
    if (p.field == "stream_options") extra += R"(, "stream": true)";
    if (p.field == "top_logprobs") extra += R"(, "logprobs": true)";
    if (p.field == "tool_choice") extra += R"(, "tools": [{"type": "function", "function": {"name": "f"}}])";
    if (p.field == "messages" || p.field == "prompt") {
      std::string body = "{\"" + std::string(p.field) + "\": " + p.value + "}";
      auto r = ParseCompletionRequest(body, kind, kModels);
      ASSERT_TRUE(r.ok()) << p.field;
      EXPECT_NE(Effect(*r), Effect(*plain)) << p.field;
      continue;
    }
    auto r = parse(extra);
    if (!r.ok()) {
      // Refused: a 400 naming the field.
      EXPECT_EQ(r.error().http_status, 400) << p.field;
      EXPECT_EQ(r.error().param.substr(0, p.field.size()), p.field) << p.field << ": " << r.error().message;
      continue;
    }
    // Served: known to the parser, and it changes the request (or is one of
    // the documented no-effect fields).
    EXPECT_THAT(r->ignored_fields, ::testing::Not(::testing::Contains(std::string(p.field)))) << p.field;
    const bool no_effect = std::find(std::begin(kNoEffect), std::end(kNoEffect), p.field) != std::end(kNoEffect);
    if (no_effect) {
      EXPECT_EQ(Effect(*r), Effect(*plain)) << p.field;
    } else {
      EXPECT_NE(Effect(*r), Effect(*plain)) << p.field << " was accepted but changed nothing: a silent ignore";
    }
  }
}

TEST(OpenAiFieldAudit, EveryCompletionFieldIsServedOrRefused) { Audit(ApiKind::kCompletion, kCompletionProbes); }
TEST(OpenAiFieldAudit, EveryChatFieldIsServedOrRefused) { Audit(ApiKind::kChat, kChatProbes); }

TEST(OpenAiRequestTest, NewFieldsParse) {
  auto r = Completion(R"({"prompt": [[1, 2], [3]], "n": 3, "best_of": 3, "echo": true, "logit_bias": {"7": -100, "2": 5.5},
      "presence_penalty": -1, "frequency_penalty": 2, "repetition_penalty": 1.3,
      "response_format": {"type": "json_schema", "json_schema": {"name": "p", "strict": true, "schema":
        {"type": "object", "properties": {"a": {"type": "string", "maxLength": 3}, "b": {"enum": [1, "x"]}},
         "required": ["a"], "additionalProperties": false, "title": "T"}}}})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->prompts.size(), 2u);
  EXPECT_THAT(r->prompts[0].token_ids, ElementsAre(1, 2));
  EXPECT_THAT(r->prompts[1].token_ids, ElementsAre(3));
  EXPECT_EQ(r->n, 3);
  EXPECT_TRUE(r->echo);
  ASSERT_EQ(r->logit_bias.size(), 2u);
  EXPECT_EQ(r->logit_bias[0], (std::pair<int32_t, float>{2, 5.5f}));
  EXPECT_EQ(r->logit_bias[1], (std::pair<int32_t, float>{7, -100.0f}));
  EXPECT_EQ(r->presence_penalty, -1);
  EXPECT_EQ(r->frequency_penalty, 2);
  EXPECT_DOUBLE_EQ(r->repetition_penalty, 1.3);
  ASSERT_TRUE(r->json_schema);
  EXPECT_EQ(r->json_schema->kind, JsonSchema::Kind::kObject);
  ASSERT_EQ(r->json_schema->properties.size(), 2u);
  EXPECT_TRUE(r->json_schema->properties[0].required);
  EXPECT_EQ(r->json_schema->properties[0].schema->max_length, 3);
  EXPECT_EQ(r->json_schema->properties[1].schema->literals, (std::vector<std::string>{"1", "\"x\""}));
  auto t = Completion(R"({"prompt": ["x", "y"], "logprobs": 0})");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->prompts[1].text, "y");
  EXPECT_EQ(t->logprobs, 0);
  auto c = Chat(R"({"messages": [{"role": "user", "content": "hi"}], "logprobs": true, "top_logprobs": 4,
      "response_format": {"type": "json_object"}, "store": false, "service_tier": "auto", "modalities": ["text"]})");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->logprobs, 4);
  EXPECT_EQ(c->json_schema, AnyObjectSchema());
  auto off = Chat(R"({"messages": [{"role": "user", "content": "hi"}], "logprobs": false, "top_logprobs": 0})");
  EXPECT_EQ(off->logprobs, -1);
  RequestLimits tight{.max_n = 2, .max_logprobs = 1, .max_prompts = 1};
  auto lim = ParseCompletionRequest(R"({"prompt": "x", "n": 3})", ApiKind::kCompletion, kModels, tight);
  ASSERT_FALSE(lim.ok());
  EXPECT_THAT(lim.error().message, HasSubstr("at most 2 choices"));
}

TEST(OpenAiRequestTest, LogitBiasIdsAreCheckedAgainstTheVocabulary) {
  auto r = Completion(With(R"("logit_bias": {"600": 1})"));
  ASSERT_TRUE(r.ok());
  auto e = CheckTokenIds(*r, 512);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->param, "logit_bias.600");
  auto p = Completion(R"({"prompt": [[1], [700]]})");
  ASSERT_TRUE(p.ok());
  auto f = CheckTokenIds(*p, 512);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->param, "prompt[1]");
}

}  // namespace
}  // namespace cacheopt
