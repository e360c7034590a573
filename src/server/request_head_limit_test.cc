#include "server/request_head_limit.h"

#include <gtest/gtest.h>

#include <string>

namespace cacheopt {
namespace {

using State = RequestHeadLimit::State;

State FeedAll(RequestHeadLimit& l, const std::string& s) { return l.Feed(s.data(), s.size()); }

TEST(RequestHeadLimit, EndsAtTheBlankLineAndIgnoresTheBody) {
  RequestHeadLimit l(64);
  const std::string head = "POST /v1/completions HTTP/1.1\r\nHost: a\r\n\r\n";
  EXPECT_EQ(FeedAll(l, head + std::string(1000, 'x')), State::kDone);
  EXPECT_EQ(l.head_bytes(), head.size());
}

TEST(RequestHeadLimit, BareLineFeedsEndTheHeadToo) {
  RequestHeadLimit l(64);
  EXPECT_EQ(FeedAll(l, "GET / HTTP/1.1\nA: b\n\n"), State::kDone);
}

TEST(RequestHeadLimit, ByteAtATimeGivesTheSameAnswer) {
  RequestHeadLimit l(64);
  const std::string head = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
  State s = State::kInHead;
  for (char c : head) s = l.Feed(&c, 1);
  EXPECT_EQ(s, State::kDone);
}

TEST(RequestHeadLimit, ManyShortHeadersOverTheLimitAreRefused) {
  RequestHeadLimit l(100);
  std::string head = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 20; ++i) head += "X-A: b\r\n";
  EXPECT_EQ(FeedAll(l, head), State::kTooLarge);
  EXPECT_FALSE(l.line_too_long());
  EXPECT_EQ(l.head_bytes(), 101u);  // stops counting one past the limit
}

TEST(RequestHeadLimit, OneLongLineIsRefusedEvenUnderTheHeadLimit) {
  RequestHeadLimit l(1 << 20, 16);
  EXPECT_EQ(FeedAll(l, "GET /" + std::string(20, 'a') + " HTTP/1.1\r\n"), State::kTooLarge);
  EXPECT_TRUE(l.line_too_long());
}

TEST(RequestHeadLimit, AHeadExactlyAtTheLimitPasses) {
  const std::string head = "GET / HTTP/1.1\r\nA: b\r\n\r\n";
  RequestHeadLimit l(head.size());
  EXPECT_EQ(FeedAll(l, head), State::kDone);
}

TEST(RequestHeadLimit, StaysRefusedAfterwards) {
  RequestHeadLimit l(4);
  EXPECT_EQ(FeedAll(l, "GET / HTTP/1.1\r\n"), State::kTooLarge);
  EXPECT_EQ(FeedAll(l, "\r\n\r\n"), State::kTooLarge);
}

}  // namespace
}  // namespace cacheopt
