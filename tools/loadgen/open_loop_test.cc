#include "loadgen/open_loop.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace cacheopt::bench {
namespace {

std::vector<PlannedRequest> Plan(std::vector<double> offsets) {
  std::vector<PlannedRequest> plan;
  for (size_t i = 0; i < offsets.size(); ++i) {
    PlannedRequest p;
    p.id = static_cast<int64_t>(i);
    p.send_offset_s = offsets[i];
    plan.push_back(p);
  }
  return plan;
}

// A fake request: notes how many run at once, then waits until `release`
// says so (or a generous timeout, so a bug fails instead of hanging).
struct Fake {
  std::mutex mu;
  std::condition_variable cv;
  int running = 0, most = 0, started = 0;
  int release_after = 0;  // leave once this many have started

  RequestRecord Send(const PlannedRequest& p, SteadyClock::time_point origin) {
    RequestRecord r;
    r.send_s = SecondsSince(origin);
    std::unique_lock<std::mutex> lock(mu);
    ++running;
    ++started;
    most = std::max(most, running);
    cv.notify_all();
    cv.wait_for(lock, std::chrono::seconds(20), [&] { return started >= release_after; });
    --running;
    r.success = p.id % 2 == 0;
    r.output_tokens = static_cast<int32_t>(p.id);
    return r;
  }
};

TEST(OpenLoopTest, RequestsLeaveAtTheirOffsetsAndResultsKeepPlanOrder) {
  Fake fake;
  const auto plan = Plan({0.0, 0.03, 0.06});
  BenchProgress progress(nullptr, false, 3);
  auto out = RunOpenLoop(
      plan, [&](const PlannedRequest& p, SteadyClock::time_point o) { return fake.Send(p, o); }, 0, &progress);
  ASSERT_EQ(out.records.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_GE(out.records[i].send_s, plan[i].send_offset_s);
    EXPECT_EQ(out.records[i].output_tokens, static_cast<int32_t>(i));
  }
  EXPECT_TRUE(out.records[0].success);
  EXPECT_FALSE(out.records[1].success);
  EXPECT_GE(out.duration_s, 0.06);
}

TEST(OpenLoopTest, UnlimitedSendsWithoutWaitingForEarlierRequests) {
  Fake fake;
  fake.release_after = 4;  // nobody ends before all four are in flight
  auto out = RunOpenLoop(
      Plan({0, 0, 0, 0}), [&](const PlannedRequest& p, SteadyClock::time_point o) { return fake.Send(p, o); }, 0,
      nullptr);
  EXPECT_EQ(fake.most, 4);
}

TEST(OpenLoopTest, MaxConcurrencyBoundsRequestsInFlight) {
  Fake fake;
  auto out = RunOpenLoop(
      Plan({0, 0, 0, 0, 0, 0}), [&](const PlannedRequest& p, SteadyClock::time_point o) { return fake.Send(p, o); }, 2,
      nullptr);
  EXPECT_LE(fake.most, 2);
  EXPECT_EQ(fake.started, 6);
}

}  // namespace
}  // namespace cacheopt::bench

namespace cacheopt::bench {
namespace {

// Requests due after the time limit are not sent; they fail naming it.
TEST(OpenLoopTest, RequestsDueAfterTheTimeLimitAreNotSent) {
  std::atomic<int> sent{0};
  const auto plan = Plan({0.0, 0.01, 5.0});
  auto out = RunOpenLoop(
      plan,
      [&](const PlannedRequest&, SteadyClock::time_point o) {
        ++sent;
        RequestRecord r;
        r.send_s = SecondsSince(o);
        r.success = true;
        return r;
      },
      0, nullptr, 0.5);
  EXPECT_EQ(sent.load(), 2);
  ASSERT_EQ(out.records.size(), 3u);
  EXPECT_TRUE(out.records[1].success);
  EXPECT_FALSE(out.records[2].success);
  EXPECT_NE(out.records[2].error.find("time limit"), std::string::npos) << out.records[2].error;
  EXPECT_LT(out.duration_s, 4.0);  // did not wait for the third's offset
}

// More requests than a process can have threads mapped at once
// (vm.max_map_count 65530, two mappings per thread stack): each ended
// thread must be joined while the run goes on, not at its end.
TEST(OpenLoopTest, EndedThreadsAreJoinedAsTheRunGoesOn) {
  constexpr size_t kRequests = 70000;
  std::vector<PlannedRequest> plan = Plan(std::vector<double>(kRequests, 0.0));
  std::atomic<int> sent{0};
  const SendFn send = [&](const PlannedRequest&, SteadyClock::time_point) {
    ++sent;
    RequestRecord r;
    r.success = true;
    return r;
  };
  OpenLoopResult res = RunOpenLoop(plan, send, 0, nullptr);
  EXPECT_EQ(sent.load(), static_cast<int>(kRequests));
  size_t failed = 0;
  for (const RequestRecord& r : res.records) failed += !r.success;
  EXPECT_EQ(failed, 0u) << res.records.back().error;
}

}  // namespace
}  // namespace cacheopt::bench
