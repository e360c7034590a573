#include "server/request_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace cacheopt {
namespace {

SubmitCommand Command(int32_t first_token = 1) {
  SubmitCommand c;
  c.prompt = {first_token};
  c.max_tokens = 4;
  c.sink = std::make_shared<RequestSink>();
  c.arrival = std::chrono::steady_clock::now();
  return c;
}

TEST(RequestQueueTest, RefusesBeyondCapacityAndWhenClosed) {
  RequestQueue q(2);
  EXPECT_EQ(q.Push(Command()), RequestQueue::PushResult::kOk);
  EXPECT_EQ(q.Push(Command()), RequestQueue::PushResult::kOk);
  EXPECT_EQ(q.Push(Command()), RequestQueue::PushResult::kFull);
  EXPECT_EQ(q.size(), 2u);
  std::vector<SubmitCommand> s;
  std::vector<std::shared_ptr<RequestSink>> a;
  q.Take(1, &s, &a);
  EXPECT_EQ(s.size(), 1u);
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.Push(Command()), RequestQueue::PushResult::kOk);  // room again
  q.Close();
  EXPECT_EQ(q.Push(Command()), RequestQueue::PushResult::kClosed);
}

TEST(RequestQueueTest, TakesOldestFirstUpToTheLimit) {
  RequestQueue q(8);
  for (int32_t i = 1; i <= 5; ++i) ASSERT_EQ(q.Push(Command(i)), RequestQueue::PushResult::kOk);
  std::vector<SubmitCommand> s;
  std::vector<std::shared_ptr<RequestSink>> a;
  q.Take(3, &s, &a);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].prompt[0], 1);
  EXPECT_EQ(s[2].prompt[0], 3);
  q.Take(0, &s, &a);
  EXPECT_EQ(s.size(), 3u);
  EXPECT_EQ(q.size(), 2u);
}

TEST(RequestQueueTest, AbortCancelsOnceAndFreesAQueuedSlot) {
  RequestQueue q(1);
  SubmitCommand c = Command();
  auto sink = c.sink;
  ASSERT_EQ(q.Push(std::move(c)), RequestQueue::PushResult::kOk);
  EXPECT_EQ(q.Push(Command()), RequestQueue::PushResult::kFull);
  q.Abort(sink);
  q.Abort(sink);  // a second abort of the same request is a no-op
  EXPECT_TRUE(sink->cancelled());
  std::vector<SubmitCommand> s;
  std::vector<std::shared_ptr<RequestSink>> a;
  q.Take(0, &s, &a);  // no submits taken, yet the cancelled one leaves
  EXPECT_TRUE(s.empty());
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0], sink);
  EXPECT_EQ(q.size(), 0u);
  EXPECT_EQ(q.Push(Command()), RequestQueue::PushResult::kOk);
}

// HTTP threads cancel sinks without the queue's lock, so the engine thread
// can see a group become gone while it drops the gone ones; the count of
// waiting submits must still end at zero (it once stayed above: the idle
// server reported vllm:num_requests_waiting = 1 forever).
TEST(RequestQueueTest, CountStaysExactWhileClientsCancelDuringATake) {
  constexpr int32_t kQueued = 40000;  // long enough that a Take overlaps the cancels
  for (int round = 0; round < 10; ++round) {
    RequestQueue q(kQueued);
    std::vector<std::shared_ptr<RequestSink>> sinks;
    for (int32_t i = 0; i < kQueued; ++i) {
      SubmitCommand c = Command(i);
      sinks.push_back(c.sink);
      ASSERT_EQ(q.Push(std::move(c)), RequestQueue::PushResult::kOk);
    }
    q.Abort(sinks[0]);  // an abort queued, so the next Take drops gone groups
    std::atomic<bool> go{false};
    std::thread canceller([&] {
      while (!go.load(std::memory_order_acquire)) {
      }
      for (size_t i = 1; i < sinks.size(); i += 2) (void)sinks[i]->Cancel();  // no queue lock, as HTTP threads
    });
    std::vector<SubmitCommand> s;
    std::vector<std::shared_ptr<RequestSink>> a;
    go.store(true, std::memory_order_release);
    q.Take(0, &s, &a);
    canceller.join();
    q.Take(kQueued, &s, &a);
    ASSERT_EQ(q.size(), 0u) << "round " << round;
    EXPECT_GE(s.size(), static_cast<size_t>(kQueued / 2 - 1));
  }
}

TEST(RequestQueueTest, WaitForWorkWakesOnPushAbortOrWake) {
  RequestQueue q(4);
  using namespace std::chrono;
  const auto timed = [&](auto act) {
    const auto t0 = steady_clock::now();
    std::thread t([&] {
      std::this_thread::sleep_for(milliseconds(20));
      act();
    });
    q.WaitForWork(seconds(10), true);
    t.join();
    return duration<double>(steady_clock::now() - t0).count();
  };
  EXPECT_LT(timed([&] { q.Push(Command()); }), 5.0);
  std::vector<SubmitCommand> s;
  std::vector<std::shared_ptr<RequestSink>> a;
  q.Take(10, &s, &a);
  auto sink = std::make_shared<RequestSink>();
  EXPECT_LT(timed([&] { q.Abort(sink); }), 5.0);
  q.Take(10, &s, &a);
  EXPECT_LT(timed([&] { q.Wake(); }), 5.0);
  // A submit the engine cannot take yet does not wake it; the timeout does.
  q.Take(10, &s, &a);
  ASSERT_EQ(q.Push(Command()), RequestQueue::PushResult::kOk);
  const auto t0 = steady_clock::now();
  q.WaitForWork(milliseconds(30), false);
  EXPECT_GE(duration<double>(steady_clock::now() - t0).count(), 0.025);
}

TEST(RequestQueueTest, AGroupIsTakenWholeOrNotAtAll) {
  RequestQueue q(4);
  std::vector<SubmitCommand> group;
  for (int32_t i = 0; i < 3; ++i) group.push_back(Command(i + 1));
  ASSERT_EQ(q.PushGroup(std::move(group)), RequestQueue::PushResult::kOk);
  ASSERT_EQ(q.Push(Command(9)), RequestQueue::PushResult::kOk);
  EXPECT_EQ(q.size(), 4u);  // commands, not entries
  std::vector<SubmitCommand> s;
  std::vector<std::shared_ptr<RequestSink>> a;
  q.Take(2, &s, &a);
  EXPECT_TRUE(s.empty());  // the group does not fit, and nothing passes it (FCFS)
  q.Take(3, &s, &a);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[2].prompt[0], 3);
  s.clear();
  q.Take(3, &s, &a);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(q.size(), 0u);
}

TEST(RequestQueueTest, AGroupWhoseClientLeftLeavesWhole) {
  RequestQueue q(4);
  std::vector<SubmitCommand> group;
  for (int32_t i = 0; i < 2; ++i) group.push_back(Command(i + 1));
  auto first = group[0].sink;
  ASSERT_EQ(q.PushGroup(std::move(group)), RequestQueue::PushResult::kOk);
  q.Abort(first);
  std::vector<SubmitCommand> s;
  std::vector<std::shared_ptr<RequestSink>> a;
  q.Take(4, &s, &a);
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(a.size(), 1u);
  EXPECT_EQ(q.size(), 0u);
}

}  // namespace
}  // namespace cacheopt
