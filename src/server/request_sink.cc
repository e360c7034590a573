#include "server/request_sink.h"

namespace cacheopt {

void RequestSink::Push(std::string_view text) {
  if (text.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (ended_) return;
    text_.append(text);
  }
  cv_.notify_one();
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
}

void RequestSink::Fail(ApiError error) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (ended_) return;
    ended_ = true;
    error_ = std::move(error);
  }
  cv_.notify_one();
}

bool RequestSink::ended() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ended_;
}

bool RequestSink::Wait(std::chrono::milliseconds timeout, Update* out, bool until_end) {
  std::unique_lock<std::mutex> lock(mu_);
  const auto news = [&] { return (!until_end && !text_.empty()) || (ended_ && !end_taken_); };
  if (end_taken_) return false;
  if (!cv_.wait_for(lock, timeout, news)) return false;
  out->text = std::move(text_);
  text_.clear();
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
