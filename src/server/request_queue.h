// The hand-off between HTTP threads (many producers) and the engine thread
// (one consumer): submits, each with its RequestSink, and aborts.
//
// Bounded: at most `capacity` submits wait here for the engine to take them
// (the engine takes them only while it holds fewer than its concurrency
// limit); a push beyond that is refused (HTTP 429), so memory stays bounded
// under any load. Aborts are never refused: each request produces at most
// one, so they are bounded by the requests admitted.
//
// The engine thread sleeps here when it has nothing to run (WaitForWork) and
// is woken by a push, an abort or Wake().
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "exec/cpu/sampler.h"
#include "runtime/real_engine.h"
#include "server/request_sink.h"

namespace cacheopt {

struct SubmitCommand {
  std::vector<int32_t> prompt;
  SamplingParams params;
  int32_t max_tokens = 0;
  SloSpec slo;
  std::vector<std::string> stop;  // stop strings (StopMatcher)
  std::shared_ptr<RequestSink> sink;
  std::chrono::steady_clock::time_point arrival;  // when the HTTP request came
  // Within a group (PushGroup): how many commands back the choice sits whose
  // prompt this one shares (0: none). With prefix caching the engine loop
  // submits it once that one's prompt is computed, so its prompt blocks come
  // from the cache instead of a second prefill.
  int32_t shares_prompt_of = 0;
};

class RequestQueue {
 public:
  explicit RequestQueue(size_t capacity);

  enum class PushResult { kOk, kFull, kClosed };
  // HTTP threads. kFull: `capacity` submits already wait; kClosed: the
  // server is draining.
  PushResult Push(SubmitCommand command);
  // One request's choices (n, a prompt list): the engine takes them all in
  // the same Take or none (the group counts as one entry against capacity).
  PushResult PushGroup(std::vector<SubmitCommand> group);
  // Marks the sink cancelled and queues its abort (a no-op if already
  // cancelled).
  void Abort(const std::shared_ptr<RequestSink>& sink);
  // Wakes the engine thread (stop, abort-all).
  void Wake();
  // Later pushes get kClosed.
  void Close();

  // Engine thread. Moves out every queued abort and up to `max_submits`
  // submits, oldest first, whole groups only (a group that does not fit
  // waits at the head, FCFS). Submits whose client has gone are dropped here.
  void Take(size_t max_submits, std::vector<SubmitCommand>* submits,
            std::vector<std::shared_ptr<RequestSink>>* aborts);
  // Sleeps until a submit or abort is queued, Wake() is called, or
  // `timeout` passes. A submit only counts when `can_take_submits`.
  void WaitForWork(std::chrono::microseconds timeout, bool can_take_submits);

  size_t size() const { return size_.load(std::memory_order_relaxed); }  // submits (choices) waiting
  size_t capacity() const { return capacity_; }

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::vector<SubmitCommand>> submits_;  // groups
  size_t waiting_ = 0;                              // commands in submits_
  std::vector<std::shared_ptr<RequestSink>> aborts_;
  bool closed_ = false;
  bool woken_ = false;
  std::atomic<size_t> size_{0};
};

}  // namespace cacheopt
