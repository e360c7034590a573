// A small fixed pool for the forward pass: ParallelFor hands out indices
// dynamically. Callers make each index's result independent of which thread
// ran it, so the split never changes the arithmetic (batch invariance).
//
// A decode step at batch 1 makes a dozen ParallelFor calls of tens of
// microseconds each, so a hand-off must cost far less than that:
//  - workers poll for the next job for a while (kSpin) before they sleep on a
//    condition variable (llama.cpp's CPU backend polls likewise: its `poll`);
//  - a job is done when its last index is done, not when every worker has
//    looked at it: the caller never waits for a worker that is asleep or
//    descheduled (on a busy machine that wait cost a scheduler time slice),
//    only for indices already claimed. Workers claim an index with one
//    compare-and-swap on a word holding (job, count, next index), so a late
//    worker can never claim an index of a job that has already ended.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace cacheopt {

class ThreadPool {
 public:
  // `threads` participants in all, the caller included (<= 1: run inline).
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(i) for every i in [0, n), spread over the pool; returns when all
  // are done. Not reentrant: fn must not call ParallelFor.
  void ParallelFor(int64_t n, const std::function<void(int64_t)>& fn);

  // How long an idle worker polls for the next job before it sleeps, and
  // the caller polls for claimed indices to finish before it yields
  // (CACHEOPT_POOL_SPIN_US overrides). Long enough to span the row ops
  // between a step's matrix products; short, as on a machine busy with
  // other work polling takes the core from them.
  static constexpr std::chrono::microseconds kSpin{50};

 private:
  void WorkerLoop();
  // Claims and runs indices of the current job until none is left.
  void RunIndices();
  // One job of at most kMaxJob indices starting at `base`.
  void RunJob(int64_t base, int64_t n, const std::function<void(int64_t)>& fn);

  // state_: job number (16 bits) | index count (24) | next index (24).
  static constexpr int64_t kMaxJob = (int64_t{1} << 24) - 1;

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::atomic<uint64_t> state_{0};
  std::atomic<int64_t> done_{0};  // indices of the current job finished
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
  // The current job's function and first index: written before state_
  // publishes the job, read only by a thread holding a claimed index of it
  // (the caller does not start another job until every index is done).
  const std::function<void(int64_t)>* fn_ = nullptr;
  int64_t base_ = 0;
};

}  // namespace cacheopt
