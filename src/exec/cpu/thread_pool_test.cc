#include "exec/cpu/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace cacheopt {
namespace {

TEST(ThreadPoolTest, RunsEveryIndexExactlyOnceJobAfterJob) {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    for (int64_t n : {0, 1, 2, 7, 100, 1000}) {
      for (int rep = 0; rep < 20; ++rep) {
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        pool.ParallelFor(n, [&](int64_t i) { hits[static_cast<size_t>(i)].fetch_add(1); });
        for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << threads << " " << n;
      }
    }
  }
}

// Jobs back to back with a slow first index: the caller must wait for an
// index a worker claimed, and a worker still busy with one job must never
// run an index of the next with the wrong function.
TEST(ThreadPoolTest, WaitsForClaimedIndicesAndNeverMixesJobs) {
  ThreadPool pool(3);
  for (int job = 0; job < 200; ++job) {
    const int64_t n = 1 + job % 17;
    std::vector<int> hits(static_cast<size_t>(n), 0);  // plain ints: a data race would show under TSan
    pool.ParallelFor(n, [&, job](int64_t i) {
      if (i == 0 && job % 5 == 0) std::this_thread::sleep_for(std::chrono::microseconds(300));
      hits[static_cast<size_t>(i)] += 1 + job;
    });
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)], 1 + job) << job << " " << i;
  }
}

// A pool idle long enough for its workers to sleep still runs every index.
TEST(ThreadPoolTest, WakesSleepingWorkers) {
  ThreadPool pool(2);
  for (int rep = 0; rep < 3; ++rep) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // well past any spin
    std::vector<std::atomic<int>> hits(64);
    pool.ParallelFor(64, [&](int64_t i) { hits[static_cast<size_t>(i)].fetch_add(1); });
    for (auto& h : hits) ASSERT_EQ(h.load(), 1);
  }
}

}  // namespace
}  // namespace cacheopt
