#include "exec/cpu/thread_pool.h"

#include <immintrin.h>

#include <algorithm>
#include <cstdlib>

namespace cacheopt {
namespace {

constexpr uint64_t kIdxMask = (uint64_t{1} << 24) - 1;
uint64_t JobOf(uint64_t s) { return s >> 48; }
uint64_t CountOf(uint64_t s) { return (s >> 24) & kIdxMask; }
uint64_t NextOf(uint64_t s) { return s & kIdxMask; }

// Polls `ready` until it holds or ThreadPool::kSpin has passed; true when it
// held. Between short bursts of polling it yields the core: on an idle
// machine that returns at once, on a busy one the thread we wait for (or
// another process) gets to run instead of this loop.
// kSpin, or CACHEOPT_POOL_SPIN_US (microseconds; 0: sleep at once) to try
// another without a rebuild (docs/cpu-speed.md).
std::chrono::microseconds SpinTime() {
  static const std::chrono::microseconds t = [] {
    const char* e = std::getenv("CACHEOPT_POOL_SPIN_US");
    return e != nullptr ? std::chrono::microseconds(std::max(0, std::atoi(e))) : ThreadPool::kSpin;
  }();
  return t;
}

// Polls `ready` until it holds or SpinTime() has passed; true when it held.
template <typename Pred>
bool SpinFor(Pred ready) {
  const auto until = std::chrono::steady_clock::now() + SpinTime();
  for (;;) {
    for (int i = 0; i < 16; ++i) {
      if (ready()) return true;
      _mm_pause();
    }
    if (std::chrono::steady_clock::now() >= until) return ready();
  }
}

}  // namespace

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true);
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::RunIndices() {
  uint64_t s = state_.load();
  for (;;) {
    if (NextOf(s) >= CountOf(s)) return;
    if (!state_.compare_exchange_weak(s, s + 1)) continue;  // s reloaded
    // The index is ours, so its job has not ended: fn_ and base_ are its.
    (*fn_)(base_ + static_cast<int64_t>(NextOf(s)));
    done_.fetch_add(1);
    s = state_.load();
  }
}

void ThreadPool::RunJob(int64_t base, int64_t n, const std::function<void(int64_t)>& fn) {
  fn_ = &fn;
  base_ = base;
  done_.store(0);
  const uint64_t job = (JobOf(state_.load()) + 1) & 0xffff;
  state_.store(job << 48 | static_cast<uint64_t>(n) << 24);
  if (sleepers_.load() > 0) {
    // Taking the mutex orders this against a worker between its check of
    // state_ and its wait, so it cannot sleep through the notify.
    { std::lock_guard<std::mutex> lock(mu_); }
    wake_.notify_all();
  }
  RunIndices();
  // Only indices claimed by others can be left; wait for them to finish.
  if (!SpinFor([&] { return done_.load() == n; }))
    while (done_.load() != n) std::this_thread::yield();
}

void ThreadPool::ParallelFor(int64_t n, const std::function<void(int64_t)>& fn) {
  if (n <= 0) return;
  if (workers_.empty() || n == 1) {
    for (int64_t i = 0; i < n; ++i) fn(i);
    return;
  }
  for (int64_t base = 0; base < n; base += kMaxJob) RunJob(base, std::min(kMaxJob, n - base), fn);
}

void ThreadPool::WorkerLoop() {
  uint64_t seen = JobOf(state_.load());
  for (;;) {
    auto ready = [&] { return stop_.load() || JobOf(state_.load()) != seen; };
    if (!SpinFor(ready)) {
      std::unique_lock<std::mutex> lock(mu_);
      sleepers_.fetch_add(1);
      wake_.wait(lock, ready);
      sleepers_.fetch_sub(1);
    }
    if (stop_.load()) return;
    seen = JobOf(state_.load());
    RunIndices();
  }
}

}  // namespace cacheopt
