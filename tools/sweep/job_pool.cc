#include "sweep/job_pool.h"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace cacheopt::experiment {

size_t JobPool::Add(std::string label, int kind, double weight, std::vector<size_t> deps, std::function<void()> fn,
                    bool exclusive) {
  size_t index = jobs_.size();
  for ([[maybe_unused]] size_t d : deps) assert(d < index);
  assert(kind >= 0);
  jobs_.push_back(Job{std::move(label), kind, weight, std::move(deps), std::move(fn), exclusive});
  return index;
}

std::vector<double> JobPool::total_weights() const {
  std::vector<double> w;
  for (const auto& j : jobs_) {
    if (w.size() <= static_cast<size_t>(j.kind)) w.resize(j.kind + 1, 0);
    w[j.kind] += j.weight;
  }
  return w;
}

void JobPool::Run(int threads, ProgressLine* progress) {
  const size_t n = jobs_.size();
  std::vector<char> started(n, 0), finished(n, 0);
  std::mutex mu;
  std::condition_variable cv;
  size_t first_unstarted = 0;  // every job below has started
  int running = 0;
  bool exclusive_running = false;

  // The next job to start, or n when none can start now. Needs `mu`.
  auto pick = [&]() -> size_t {
    if (exclusive_running) return n;
    for (size_t i = first_unstarted; i < n; ++i) {
      if (started[i]) continue;
      const Job& j = jobs_[i];
      bool ready = std::all_of(j.deps.begin(), j.deps.end(), [&](size_t d) { return finished[d] != 0; });
      if (!ready) continue;
      if (j.exclusive) return running == 0 ? i : n;  // wait for the others to finish
      return i;
    }
    return n;
  };

  auto worker = [&]() {
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      while (first_unstarted < n && started[first_unstarted]) ++first_unstarted;
      if (first_unstarted >= n) return;
      size_t i = pick();
      if (i == n) {
        cv.wait(lock);
        continue;
      }
      started[i] = 1;
      ++running;
      if (jobs_[i].exclusive) exclusive_running = true;
      lock.unlock();
      if (progress != nullptr) progress->Started(jobs_[i].label);
      auto t0 = std::chrono::steady_clock::now();
      jobs_[i].fn();
      double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (progress != nullptr) progress->Finished(jobs_[i].kind, jobs_[i].weight, took);
      lock.lock();
      finished[i] = 1;
      --running;
      if (jobs_[i].exclusive) exclusive_running = false;
      cv.notify_all();
    }
  };

  int t = std::max(1, threads);
  std::vector<std::thread> pool;
  for (int k = 1; k < t; ++k) pool.emplace_back(worker);
  worker();
  for (auto& th : pool) th.join();
}

}  // namespace cacheopt::experiment
