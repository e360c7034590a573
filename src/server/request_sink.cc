#include "server/request_sink.h"

namespace cacheopt {

void SinkGroupWaker::Notify() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++count_;
  }
  cv_.notify_all();
}

uint64_t SinkGroupWaker::seen() const {
  std::lock_guard<std::mutex> lock(mu_);
  return count_;
}

void SinkGroupWaker::WaitPast(uint64_t seen, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return count_ != seen; });
}

void RequestSink::Push(std::string_view text) {
  if (text.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (ended_) return;
    text_.append(text);
  }
  cv_.notify_one();
  if (waker) waker->Notify();
}

void RequestSink::PushLogprobs(const std::vector<SampledToken>& draws, const std::vector<std::string>& pieces) {
  if (draws.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (ended_) return;
    logprobs_.insert(logprobs_.end(), draws.begin(), draws.end());
    pieces_.insert(pieces_.end(), pieces.begin(), pieces.end());
  }
  cv_.notify_one();
  if (waker) waker->Notify();
}

void RequestSink::Finish(std::string_view finish_reason, const Usage& usage) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (ended_) return;
    ended_ = true;
    finish_reason_ = std::string(finish_reason);
    usage_ = usage;
  }
  cv_.notify_one();
  if (waker) waker->Notify();
}

void RequestSink::Fail(ApiError error) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (ended_) return;
    ended_ = true;
    error_ = std::move(error);
  }
  cv_.notify_one();
  if (waker) waker->Notify();
}

bool RequestSink::ended() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ended_;
}

bool RequestSink::Wait(std::chrono::milliseconds timeout, Update* out, bool until_end) {
  std::unique_lock<std::mutex> lock(mu_);
  const auto news = [&] {
    return (!until_end && (!text_.empty() || !logprobs_.empty())) || (ended_ && !end_taken_);
  };
  if (end_taken_) return false;
  if (!cv_.wait_for(lock, timeout, news)) return false;
  out->text = std::move(text_);
  text_.clear();
  out->logprobs = std::move(logprobs_);
  logprobs_.clear();
  out->pieces = std::move(pieces_);
  pieces_.clear();
  if (ended_) {
    end_taken_ = true;
    out->finished = true;
    out->finish_reason = finish_reason_;
    out->usage = usage_;
    out->error = error_;
  }
  return true;
}

}  // namespace cacheopt
