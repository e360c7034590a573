#include "server/request_queue.h"

#include <algorithm>

namespace cacheopt {

RequestQueue::RequestQueue(size_t capacity) : capacity_(capacity) {}

RequestQueue::PushResult RequestQueue::Push(SubmitCommand command) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return PushResult::kClosed;
    if (submits_.size() >= capacity_) return PushResult::kFull;
    submits_.push_back(std::move(command));
    size_.store(submits_.size(), std::memory_order_relaxed);
  }
  cv_.notify_one();
  return PushResult::kOk;
}

void RequestQueue::Abort(const std::shared_ptr<RequestSink>& sink) {
  if (sink == nullptr || !sink->Cancel()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    aborts_.push_back(sink);
  }
  cv_.notify_one();
}

void RequestQueue::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  cv_.notify_one();
}

void RequestQueue::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
}

void RequestQueue::Take(size_t max_submits, std::vector<SubmitCommand>* submits,
                        std::vector<std::shared_ptr<RequestSink>>* aborts) {
  std::lock_guard<std::mutex> lock(mu_);
  woken_ = false;
  if (!aborts_.empty()) {
    // A cancelled request still waiting here frees its slot now.
    std::erase_if(submits_, [](const SubmitCommand& c) { return c.sink->cancelled(); });
    aborts->insert(aborts->end(), std::make_move_iterator(aborts_.begin()),
                   std::make_move_iterator(aborts_.end()));
    aborts_.clear();
  }
  while (max_submits > 0 && !submits_.empty()) {
    if (!submits_.front().sink->cancelled()) {
      submits->push_back(std::move(submits_.front()));
      --max_submits;
    }
    submits_.pop_front();
  }
  size_.store(submits_.size(), std::memory_order_relaxed);
}

void RequestQueue::WaitForWork(std::chrono::microseconds timeout, bool can_take_submits) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [&] {
    return woken_ || !aborts_.empty() || (can_take_submits && !submits_.empty());
  });
}

}  // namespace cacheopt
