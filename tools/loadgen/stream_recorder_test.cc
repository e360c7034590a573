#include "loadgen/stream_recorder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cacheopt::bench {
namespace {

using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Text(const std::string& t) {
  return "data: {\"choices\":[{\"text\":\"" + t + "\",\"finish_reason\":null}]}\n\n";
}
const std::string kFinish = "data: {\"choices\":[{\"text\":\"\",\"finish_reason\":\"stop\"}]}\n\n";
const std::string kUsage = "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3}}\n\n";
const std::string kDone = "data: [DONE]\n\n";

TEST(StreamRecorderTest, TtftItlE2eAndUsage) {
  StreamRecorder rec(0.5);
  EXPECT_TRUE(rec.OnBytes(Text("a"), 1.0));
  EXPECT_TRUE(rec.OnBytes(Text("b"), 1.2));
  // The last token, the finish chunk, usage and [DONE] in one read.
  EXPECT_TRUE(rec.OnBytes(Text("c") + kFinish + kUsage + kDone, 1.5));
  RequestRecord r = rec.Finish(1.6, "");
  EXPECT_TRUE(r.success) << r.error;
  EXPECT_DOUBLE_EQ(r.send_s, 0.5);
  EXPECT_DOUBLE_EQ(r.ttft_s, 0.5);
  EXPECT_THAT(r.itls_s, ElementsAre(DoubleNear(0.2, 1e-12), DoubleNear(0.3, 1e-12)));
  EXPECT_DOUBLE_EQ(r.e2el_s, 1.0);  // the last chunk with choices, not the end of the transfer
  EXPECT_EQ(r.output_tokens, 3);
  EXPECT_TRUE(r.usage_reported);
  EXPECT_EQ(r.prompt_tokens_reported, 7);
  EXPECT_EQ(r.text_chunks, 3);
  EXPECT_EQ(r.finish_reason, "stop");
}

TEST(StreamRecorderTest, EventsSplitAcrossReads) {
  const std::string all = Text("a") + Text("b") + kFinish + kUsage + kDone;
  StreamRecorder rec(0);
  // One byte per read, each a millisecond later.
  for (size_t i = 0; i < all.size(); ++i) EXPECT_TRUE(rec.OnBytes(all.substr(i, 1), 0.001 * (i + 1)));
  RequestRecord r = rec.Finish(1, "");
  EXPECT_TRUE(r.success) << r.error;
  EXPECT_EQ(r.text_chunks, 2);
  ASSERT_EQ(r.itls_s.size(), 1u);
  EXPECT_NEAR(r.ttft_s, 0.001 * Text("a").size(), 1e-12);
}

TEST(StreamRecorderTest, WithoutUsageTheTextChunksAreCounted) {
  StreamRecorder rec(0);
  rec.OnBytes(Text("a") + Text("b") + kFinish + kDone, 0.1);
  RequestRecord r = rec.Finish(0.2, "");
  EXPECT_TRUE(r.success);
  EXPECT_FALSE(r.usage_reported);
  EXPECT_EQ(r.output_tokens, 2);
  EXPECT_EQ(r.prompt_tokens_reported, -1);
}

TEST(StreamRecorderTest, EmptyTextDoesNotCountAsTheFirstToken) {
  StreamRecorder rec(0);
  rec.OnBytes("data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n", 0.1);
  rec.OnBytes("data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n", 0.4);
  rec.OnBytes("data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n" + kDone, 0.5);
  RequestRecord r = rec.Finish(0.5, "");
  EXPECT_TRUE(r.success);
  EXPECT_DOUBLE_EQ(r.ttft_s, 0.4);
  EXPECT_TRUE(r.itls_s.empty());
  EXPECT_DOUBLE_EQ(r.e2el_s, 0.5);
}

TEST(StreamRecorderTest, ErrorEventFailsTheRequest) {
  StreamRecorder rec(0);
  EXPECT_TRUE(rec.OnBytes(Text("a"), 0.1));
  EXPECT_FALSE(rec.OnBytes("data: {\"error\":{\"message\":\"aborted by the server\"}}\n\n" + kDone, 0.2));
  RequestRecord r = rec.Finish(0.3, "Canceled");
  EXPECT_FALSE(r.success);
  EXPECT_THAT(r.error, HasSubstr("aborted by the server"));
}

TEST(StreamRecorderTest, MalformedEventFailsTheRequest) {
  StreamRecorder rec(0);
  EXPECT_FALSE(rec.OnBytes("data: {not json}\n\n", 0.1));
  RequestRecord r = rec.Finish(0.1, "Canceled");
  EXPECT_FALSE(r.success);
  EXPECT_THAT(r.error, HasSubstr("malformed SSE event"));
  EXPECT_THAT(r.error, HasSubstr("{not json}"));
}

TEST(StreamRecorderTest, TruncatedStreamsFail) {
  StreamRecorder cut(0);
  cut.OnBytes(Text("a"), 0.1);
  RequestRecord r = cut.Finish(0.2, "");
  EXPECT_FALSE(r.success);
  EXPECT_THAT(r.error, HasSubstr("before a finish_reason or [DONE]"));

  StreamRecorder reset(0);
  reset.OnBytes(Text("a"), 0.1);
  r = reset.Finish(0.2, "reading the answer failed or timed out (Read)");
  EXPECT_FALSE(r.success);
  EXPECT_THAT(r.error, HasSubstr("mid-stream (reading the answer failed"));

  StreamRecorder json(0);
  json.OnBytes("{\"choices\":[{\"text\":\"not streamed\"}]}", 0.1);
  r = json.Finish(0.1, "");
  EXPECT_FALSE(r.success);
  EXPECT_THAT(r.error, HasSubstr("no server-sent events (does the server stream?): '{\"choices\""));

  StreamRecorder empty(0);
  empty.OnBytes(kFinish + kDone, 0.1);
  r = empty.Finish(0.1, "");
  EXPECT_FALSE(r.success);
  EXPECT_THAT(r.error, HasSubstr("without any chunk carrying text"));
}

}  // namespace
}  // namespace cacheopt::bench
