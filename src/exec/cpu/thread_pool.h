// A small fixed pool for the forward pass: ParallelFor hands out indices
// dynamically. Callers make each index's result independent of which thread
// ran it, so the split never changes the arithmetic (batch invariance).
#pragma once

#include <atomic>
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

 private:
  void WorkerLoop();
  void RunIndices();

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable done_;
  uint64_t generation_ = 0;  // bumped per job, under mu_
  int busy_ = 0;             // workers still inside the current job, under mu_
  bool stop_ = false;
  // The current job: read by workers after they see the new generation.
  const std::function<void(int64_t)>* fn_ = nullptr;
  int64_t n_ = 0;
  std::atomic<int64_t> next_{0};
};

}  // namespace cacheopt
