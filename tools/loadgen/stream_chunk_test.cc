#include "loadgen/stream_chunk.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cacheopt::bench {
namespace {

using ::testing::HasSubstr;

TEST(StreamChunkTest, CompletionText) {
  auto c = ParseStreamChunk(
      R"({"object":"text_completion","choices":[{"index":0,"text":"Hi","logprobs":null,"finish_reason":null}],"usage":null})");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE(c->has_choices);
  EXPECT_EQ(c->text, "Hi");
  EXPECT_FALSE(c->finish_reason);
  EXPECT_FALSE(c->completion_tokens);
  EXPECT_FALSE(c->done);
}

TEST(StreamChunkTest, ChatDeltaAndFinish) {
  auto role = ParseStreamChunk(R"({"choices":[{"delta":{"role":"assistant","content":""},"finish_reason":null}]})");
  ASSERT_TRUE(role.ok());
  EXPECT_TRUE(role->has_choices);
  EXPECT_EQ(role->text, "");
  auto text = ParseStreamChunk(R"({"choices":[{"delta":{"content":"Once"}}]})");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->text, "Once");
  auto fin = ParseStreamChunk(R"({"choices":[{"delta":{},"finish_reason":"length"}]})");
  ASSERT_TRUE(fin.ok());
  EXPECT_EQ(fin->text, "");
  EXPECT_EQ(fin->finish_reason, "length");
}

TEST(StreamChunkTest, UsageChunkAndDone) {
  auto u = ParseStreamChunk(R"({"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17}})");
  ASSERT_TRUE(u.ok());
  EXPECT_FALSE(u->has_choices);
  EXPECT_EQ(u->prompt_tokens, 12);
  EXPECT_EQ(u->completion_tokens, 5);
  auto d = ParseStreamChunk("[DONE]");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->done);
}

TEST(StreamChunkTest, ErrorEvent) {
  auto e = ParseStreamChunk(R"({"error":{"message":"engine died","type":"server_error"}})");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->error, "engine died");
}

TEST(StreamChunkTest, MalformedEventsNameTheProblem) {
  auto a = ParseStreamChunk("{\"choices\": [");
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(a.status().message(), HasSubstr("malformed SSE event (not JSON)"));
  EXPECT_THAT(a.status().message(), HasSubstr("{\"choices\": ["));
  EXPECT_THAT(ParseStreamChunk("[1,2]").status().message(), HasSubstr("not a JSON object"));
  EXPECT_THAT(ParseStreamChunk(R"({"choices":{}})").status().message(), HasSubstr("'choices' is not an array"));
  EXPECT_THAT(ParseStreamChunk(R"({"choices":[{"text":5}]})").status().message(), HasSubstr("choices[0].text"));
  EXPECT_THAT(ParseStreamChunk(R"({"usage":{"completion_tokens":"5"}})").status().message(), HasSubstr("usage"));
}

TEST(StreamChunkTest, ExcerptCutsLongText) {
  EXPECT_EQ(Excerpt("abc", 5), "abc");
  EXPECT_EQ(Excerpt("abcdefgh", 5), "abcde...");
}

}  // namespace
}  // namespace cacheopt::bench
