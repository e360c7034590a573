#include "sweep/job_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <sstream>
#include <thread>

namespace cacheopt::experiment {
namespace {

TEST(JobPool, RunsEveryJobOnceAfterItsDependencies) {
  JobPool pool;
  std::mutex mu;
  std::vector<int> order;
  std::vector<int> done(20, 0);
  auto record = [&](int i) {
    return [&, i] {
      std::this_thread::sleep_for(std::chrono::milliseconds(i % 3));
      std::lock_guard<std::mutex> lock(mu);
      order.push_back(i);
      done[i]++;
    };
  };
  size_t root = pool.Add("root", 0, 1, {}, record(0));
  for (int i = 1; i < 20; ++i) pool.Add("j", 1, 1, {root}, record(i));
  std::ostringstream out;
  ProgressLine progress(&out, false, pool.size(), pool.total_weights(), 2, 0);
  pool.Run(2, &progress);
  progress.Close();
  ASSERT_EQ(order.size(), 20u);
  EXPECT_EQ(order.front(), 0);
  for (int d : done) EXPECT_EQ(d, 1);
  EXPECT_NE(out.str().find("[20/20] done"), std::string::npos) << out.str();
}

TEST(JobPool, ExclusiveJobRunsAlone) {
  JobPool pool;
  std::atomic<int> running{0};
  std::atomic<bool> overlap{false};
  auto job = [&](bool exclusive) {
    return [&, exclusive] {
      int now = ++running;
      if (exclusive && now != 1) overlap = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      if (exclusive && running.load() != 1) overlap = true;
      --running;
    };
  };
  for (int i = 0; i < 6; ++i) pool.Add("n", 0, 1, {}, job(false));
  for (int i = 0; i < 3; ++i) pool.Add("x", 0, 1, {}, job(true), true);
  for (int i = 0; i < 6; ++i) pool.Add("n", 0, 1, {}, job(false));
  pool.Run(3, nullptr);
  EXPECT_FALSE(overlap.load());
}

TEST(Progress, FormatsDurations) {
  EXPECT_EQ(FormatDuration(45), "45s");
  EXPECT_EQ(FormatDuration(72), "1m12s");
  EXPECT_EQ(FormatDuration(3900), "1h05m");
}

}  // namespace
}  // namespace cacheopt::experiment
