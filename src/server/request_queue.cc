#include "server/request_queue.h"

#include <algorithm>

namespace cacheopt {

RequestQueue::RequestQueue(size_t capacity) : capacity_(capacity) {}

RequestQueue::PushResult RequestQueue::Push(SubmitCommand command) {
  std::vector<SubmitCommand> group;
  group.push_back(std::move(command));
  return PushGroup(std::move(group));
}

RequestQueue::PushResult RequestQueue::PushGroup(std::vector<SubmitCommand> group) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return PushResult::kClosed;
    if (submits_.size() >= capacity_) return PushResult::kFull;
    waiting_ += group.size();
    submits_.push_back(std::move(group));
    size_.store(waiting_, std::memory_order_relaxed);
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
  // A group whose client has gone (any member cancelled: the HTTP thread
  // cancels them all) leaves the queue whole; this frees its slot now.
  const auto gone = [](const std::vector<SubmitCommand>& g) {
    return std::any_of(g.begin(), g.end(), [](const SubmitCommand& c) { return c.sink->cancelled(); });
  };
  // One look at each group: HTTP threads cancel sinks without this lock, so
  // a second look could see a group gone that the count did not subtract.
  const auto drop_gone = [&] {
    std::erase_if(submits_, [&](const std::vector<SubmitCommand>& g) {
      if (!gone(g)) return false;
      waiting_ -= g.size();
      return true;
    });
  };
  if (!aborts_.empty()) {
    drop_gone();
    aborts->insert(aborts->end(), std::make_move_iterator(aborts_.begin()),
                   std::make_move_iterator(aborts_.end()));
    aborts_.clear();
  }
  while (!submits_.empty()) {
    std::vector<SubmitCommand>& g = submits_.front();
    if (gone(g)) {
      waiting_ -= g.size();
      submits_.pop_front();
      continue;
    }
    if (g.size() > max_submits) break;  // the whole group or nothing
    max_submits -= g.size();
    waiting_ -= g.size();
    for (SubmitCommand& c : g) submits->push_back(std::move(c));
    submits_.pop_front();
  }
  size_.store(waiting_, std::memory_order_relaxed);
}

void RequestQueue::WaitForWork(std::chrono::microseconds timeout, bool can_take_submits) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [&] {
    return woken_ || !aborts_.empty() || (can_take_submits && !submits_.empty());
  });
}

}  // namespace cacheopt
