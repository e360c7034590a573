// One request's channel from the engine thread to the HTTP thread answering
// it. The engine thread appends text (already cut at safe UTF-8 and
// stop-string boundaries) and, once, the end: a finish reason with usage, or
// an error. The HTTP thread waits for news and takes everything that came
// since its last take, so a slow client gets the text coalesced, never a
// backlog of events. The HTTP thread marks the client gone with Cancel (the
// engine loop then aborts the request).
//
// Memory: the pending text is at most what the request generated.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exec/cpu/sampler.h"

#include "server/api_error.h"
#include "server/openai_response.h"

namespace cacheopt {

// Wakes one HTTP thread that waits on several sinks (a request's choices):
// every sink of the group bumps it on news.
class SinkGroupWaker {
 public:
  void Notify();
  uint64_t seen() const;
  // Waits until the count moves past `seen` or `timeout` passes.
  void WaitPast(uint64_t seen, std::chrono::milliseconds timeout);

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t count_ = 0;
};

class RequestSink {
 public:
  // What the HTTP thread takes.
  struct Update {
    std::string text;          // new since the last take
    bool finished = false;     // the end came (below)
    std::string finish_reason;  // "stop" | "length" | "abort"
    Usage usage;
    std::optional<ApiError> error;  // the request failed instead
    // Per token since the last take (SamplingParams::logprobs >= 0 only):
    // its draw and its text.
    std::vector<SampledToken> logprobs;
    std::vector<std::string> pieces;
  };

  // ---- engine thread ----
  void Push(std::string_view text);
  void PushLogprobs(const std::vector<SampledToken>& draws, const std::vector<std::string>& pieces);
  void Finish(std::string_view finish_reason, const Usage& usage);
  void Fail(ApiError error);
  bool ended() const;

  // ---- HTTP thread ----
  // Waits up to `timeout` for text or the end (with `until_end`, for the end
  // only: a non-streaming answer need not wake per token), then moves out
  // what came. False (and `out` untouched) when nothing did. After the end
  // has been taken once, returns false at once.
  bool Wait(std::chrono::milliseconds timeout, Update* out, bool until_end = false);
  // The client is gone. True the first time.
  bool Cancel() { return !cancelled_.exchange(true, std::memory_order_acq_rel); }

  // ---- either ----
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }

  // The engine's id for the request once submitted; engine thread only.
  int64_t engine_id = -1;
  // Set before the sink is shared: notified on every news.
  std::shared_ptr<SinkGroupWaker> waker;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string text_;
  std::vector<SampledToken> logprobs_;
  std::vector<std::string> pieces_;
  bool ended_ = false;
  bool end_taken_ = false;
  std::string finish_reason_;
  Usage usage_;
  std::optional<ApiError> error_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace cacheopt
