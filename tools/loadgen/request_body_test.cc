#include "loadgen/request_body.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace cacheopt::bench {
namespace {

using json = nlohmann::json;

PlannedRequest Request() {
  PlannedRequest r;
  r.id = 4;
  r.prompt_tokens = 3;
  r.prompt_ids = {5, 6, 7};
  r.eos_after = 9;
  r.max_tokens = 500;
  r.slo_class = 0;
  return r;
}

TEST(RequestBodyTest, CompletionsSendsTokenIdsCapAndLength) {
  const json j = json::parse(BuildRequestBody(Request(), {EndpointKind::kCompletions, "stories260K", false}));
  EXPECT_EQ(j["model"], "stories260K");
  EXPECT_EQ(j["prompt"], json::array({5, 6, 7}));
  EXPECT_EQ(j["max_tokens"], 500);
  EXPECT_EQ(j["eos_after"], 9);
  EXPECT_FALSE(j.contains("min_tokens"));  // eos_after alone ends it there
  EXPECT_EQ(j["temperature"], 0.0);
  EXPECT_EQ(j["stream"], true);
  EXPECT_EQ(j["stream_options"]["include_usage"], true);
  EXPECT_EQ(j["slo_class"], "tight");
  EXPECT_FALSE(j.contains("ignore_eos"));
  EXPECT_FALSE(j.contains("messages"));
}

// The SLOs the client judges by go to the server, which schedules for them.
TEST(RequestBodyTest, SendsTheRequestsSlosWhenKnown) {
  PlannedRequest r = Request();
  const json none = json::parse(BuildRequestBody(r, {EndpointKind::kCompletions, "m", false}));
  EXPECT_FALSE(none.contains("ttft_slo_ms"));
  EXPECT_FALSE(none.contains("tbt_slo_ms"));
  r.ttft_slo_ms = 1000;
  r.tbt_slo_ms = 100;
  const json j = json::parse(BuildRequestBody(r, {EndpointKind::kChat, "m", false}));
  EXPECT_EQ(j["ttft_slo_ms"], 1000.0);
  EXPECT_EQ(j["tbt_slo_ms"], 100.0);
}

TEST(RequestBodyTest, IgnoreEosIsVllmsLikeForLikeMode) {
  PlannedRequest r = Request();
  r.max_tokens = r.eos_after;  // what the plan sets with ignore_eos
  const json j = json::parse(BuildRequestBody(r, {EndpointKind::kCompletions, "m", true}));
  EXPECT_EQ(j["ignore_eos"], true);
  EXPECT_EQ(j["max_tokens"], 9);
  EXPECT_FALSE(j.contains("min_tokens"));
}

TEST(RequestBodyTest, ChatSendsWords) {
  const json j = json::parse(BuildRequestBody(Request(), {EndpointKind::kChat, "m", false}));
  ASSERT_EQ(j["messages"].size(), 1u);
  EXPECT_EQ(j["messages"][0]["role"], "user");
  EXPECT_EQ(j["messages"][0]["content"], PromptWords({5, 6, 7}));
  EXPECT_EQ(j["max_completion_tokens"], 500);
  EXPECT_FALSE(j.contains("prompt"));
  PlannedRequest d = Request();
  d.default_cap = true;  // context - prompt: the server knows the prompt's true length
  EXPECT_FALSE(json::parse(BuildRequestBody(d, {EndpointKind::kChat, "m", false})).contains("max_completion_tokens"));
  EXPECT_EQ(json::parse(BuildRequestBody(d, {EndpointKind::kCompletions, "m", false}))["max_tokens"], 500);
  EXPECT_EQ(PromptWords({0, 1, 32}), "the a the");
}

TEST(RequestBodyTest, EndpointKind) {
  EXPECT_EQ(EndpointKindOf("/v1/completions"), EndpointKind::kCompletions);
  EXPECT_EQ(EndpointKindOf("/v1/chat/completions"), EndpointKind::kChat);
  EXPECT_EQ(EndpointKindOf("/openai/v1/chat/completions"), EndpointKind::kChat);
}

}  // namespace
}  // namespace cacheopt::bench
