#include "server/request_head_limit.h"

namespace cacheopt {

RequestHeadLimit::State RequestHeadLimit::Feed(const char* p, size_t n) {
  for (size_t i = 0; i < n && state_ == State::kInHead; ++i) {
    ++head_bytes_;
    const char c = p[i];
    if (c == '\n') {
      // An empty line (LF or CRLF, as cpp-httplib accepts both) ends the
      // head; the first line is the request line, never empty in a request.
      if (line_bytes_ == 0 && head_bytes_ > 2) {
        state_ = State::kDone;
        break;
      }
      line_bytes_ = 0;
    } else if (c != '\r') {
      ++line_bytes_;
    }
    if (line_bytes_ > max_line_) {
      line_too_long_ = true;
      state_ = State::kTooLarge;
    } else if (head_bytes_ > max_head_) {
      state_ = State::kTooLarge;
    }
  }
  return state_;
}

}  // namespace cacheopt
