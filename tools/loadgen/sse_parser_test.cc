#include "loadgen/sse_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cacheopt::bench {
namespace {

std::vector<std::string> Data(const std::vector<SseEvent>& events) {
  std::vector<std::string> out;
  for (const SseEvent& e : events) out.push_back(e.data);
  return out;
}

std::vector<SseEvent> ParseAll(const std::string& stream) {
  SseParser p;
  std::vector<SseEvent> out;
  p.Feed(stream, &out);
  p.Finish(&out);
  return out;
}

// What our server and vLLM send: JSON chunks, a usage chunk, [DONE].
const std::string kStream =
    "data: {\"choices\":[{\"text\":\"Once\"}]}\n\n"
    "data: {\"choices\":[{\"text\":\" upon\"}]}\n\n"
    "data: {\"choices\":[{\"text\":\"\",\"finish_reason\":\"stop\"}]}\n\n"
    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}\n\n"
    "data: [DONE]\n\n";

const std::vector<std::string> kExpected = {
    "{\"choices\":[{\"text\":\"Once\"}]}",
    "{\"choices\":[{\"text\":\" upon\"}]}",
    "{\"choices\":[{\"text\":\"\",\"finish_reason\":\"stop\"}]}",
    "{\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}",
    "[DONE]",
};

TEST(SseParserTest, WholeStream) { EXPECT_EQ(Data(ParseAll(kStream)), kExpected); }

TEST(SseParserTest, EverySplitPointGivesTheSameEvents) {
  for (size_t cut = 0; cut <= kStream.size(); ++cut) {
    SseParser p;
    std::vector<SseEvent> out;
    p.Feed(kStream.substr(0, cut), &out);
    p.Feed(kStream.substr(cut), &out);
    EXPECT_EQ(Data(out), kExpected) << "cut at " << cut;
  }
}

TEST(SseParserTest, ByteByByteAndEventsAppearAtTheirBlankLine) {
  SseParser p;
  std::vector<SseEvent> out;
  size_t seen = 0;
  for (size_t i = 0; i < kStream.size(); ++i) {
    p.Feed(kStream.substr(i, 1), &out);
    if (out.size() > seen) {
      // An event is complete exactly when its "\n\n" has arrived.
      EXPECT_EQ(kStream.substr(i - 1, 2), "\n\n");
      seen = out.size();
    }
  }
  EXPECT_EQ(Data(out), kExpected);
}

TEST(SseParserTest, CrLfAndCrLineEndingsEvenWhenSplitBetweenCrAndLf) {
  const std::string crlf = "data: a\r\n\r\ndata: b\r\n\r\n";
  for (size_t cut = 0; cut <= crlf.size(); ++cut) {
    SseParser p;
    std::vector<SseEvent> out;
    p.Feed(crlf.substr(0, cut), &out);
    p.Feed(crlf.substr(cut), &out);
    EXPECT_EQ(Data(out), (std::vector<std::string>{"a", "b"})) << "cut at " << cut;
  }
  EXPECT_EQ(Data(ParseAll("data: a\r\rdata: b\r\r")), (std::vector<std::string>{"a", "b"}));
}

TEST(SseParserTest, CommentsFieldsAndMultiLineData) {
  const auto events = ParseAll(
      ": ping\n\n"
      "event: message\nid: 7\nretry: 10\ndata: line1\ndata:line2\n\n"
      "data\n\n"
      "unknown: x\n\n");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].event, "message");
  EXPECT_EQ(events[0].data, "line1\nline2");  // one leading space stripped, and only when present
  EXPECT_EQ(events[1].data, "");              // "data" alone is an empty data line
}

TEST(SseParserTest, FinishDispatchesAnEventWithoutItsBlankLine) {
  SseParser p;
  std::vector<SseEvent> out;
  p.Feed("data: [DONE]", &out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(p.partial_line(), "data: [DONE]");
  p.Finish(&out);
  EXPECT_EQ(Data(out), std::vector<std::string>{"[DONE]"});
}

}  // namespace
}  // namespace cacheopt::bench
