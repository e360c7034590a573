#include "server/request_sink.h"

#include <gtest/gtest.h>

#include <thread>

namespace cacheopt {
namespace {

using std::chrono::milliseconds;

TEST(RequestSinkTest, CoalescesTextUntilTaken) {
  RequestSink s;
  RequestSink::Update u;
  EXPECT_FALSE(s.Wait(milliseconds(1), &u));
  s.Push("Once");
  s.Push("");
  s.Push(" upon");
  ASSERT_TRUE(s.Wait(milliseconds(1), &u));
  EXPECT_EQ(u.text, "Once upon");
  EXPECT_FALSE(u.finished);
  EXPECT_FALSE(s.Wait(milliseconds(1), &u));
}

TEST(RequestSinkTest, TheEndComesOnceWithTheLastText) {
  RequestSink s;
  s.Push(" a time");
  s.Finish("length", Usage{3, 4});
  s.Push("ignored");
  s.Finish("stop", Usage{});
  RequestSink::Update u;
  ASSERT_TRUE(s.Wait(milliseconds(1), &u));
  EXPECT_EQ(u.text, " a time");
  EXPECT_TRUE(u.finished);
  EXPECT_EQ(u.finish_reason, "length");
  EXPECT_EQ(u.usage.prompt_tokens, 3);
  EXPECT_EQ(u.usage.completion_tokens, 4);
  EXPECT_FALSE(u.error);
  RequestSink::Update again;
  EXPECT_FALSE(s.Wait(milliseconds(1), &again));
  EXPECT_TRUE(s.ended());
}

TEST(RequestSinkTest, UntilEndIgnoresTextUntilTheEnd) {
  RequestSink s;
  s.Push("a");
  RequestSink::Update u;
  EXPECT_FALSE(s.Wait(milliseconds(1), &u, /*until_end=*/true));
  s.Push("b");
  s.Finish("stop", Usage{1, 2});
  ASSERT_TRUE(s.Wait(milliseconds(1), &u, true));
  EXPECT_EQ(u.text, "ab");
  EXPECT_TRUE(u.finished);
}

TEST(RequestSinkTest, FailCarriesTheError) {
  RequestSink s;
  s.Fail(InvalidRequest("max_tokens", "too many"));
  RequestSink::Update u;
  ASSERT_TRUE(s.Wait(milliseconds(1), &u));
  ASSERT_TRUE(u.error);
  EXPECT_EQ(u.error->param, "max_tokens");
}

TEST(RequestSinkTest, WakesAWaiterAndCancelsOnce) {
  RequestSink s;
  std::thread t([&] {
    std::this_thread::sleep_for(milliseconds(10));
    s.Push("x");
  });
  RequestSink::Update u;
  EXPECT_TRUE(s.Wait(std::chrono::seconds(10), &u));
  t.join();
  EXPECT_EQ(u.text, "x");
  EXPECT_FALSE(s.cancelled());
  EXPECT_TRUE(s.Cancel());
  EXPECT_FALSE(s.Cancel());
  EXPECT_TRUE(s.cancelled());
}

}  // namespace
}  // namespace cacheopt
