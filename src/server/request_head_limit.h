// Bounds a request's head (request line and header lines, up to the blank
// line) as its bytes are read. cpp-httplib 0.11.4 refuses a single line over
// 8192 bytes but not a head of many short lines, which a client could grow
// without end; this counts both, so the server can refuse with 431 before it
// has buffered more than the limit.
#pragma once

#include <cstddef>

namespace cacheopt {

// cpp-httplib's compiled-in limit on one line (CPPHTTPLIB_HEADER_MAX_LENGTH
// and CPPHTTPLIB_REQUEST_URI_MAX_LENGTH in Debian 12's build).
inline constexpr size_t kMaxHeadLineBytes = 8192;
inline constexpr size_t kDefaultMaxHeadBytes = 16 * 1024;

class RequestHeadLimit {
 public:
  enum class State { kInHead, kDone, kTooLarge };

  explicit RequestHeadLimit(size_t max_head_bytes, size_t max_line_bytes = kMaxHeadLineBytes)
      : max_head_(max_head_bytes), max_line_(max_line_bytes) {}

  // Feeds the next bytes the parser takes from the connection; the state
  // after them. Once kDone (the blank line seen) or kTooLarge it stays so.
  State Feed(const char* p, size_t n);

  State state() const { return state_; }
  size_t max_head_bytes() const { return max_head_; }
  // Head bytes counted so far (terminators included).
  size_t head_bytes() const { return head_bytes_; }
  // True when kTooLarge came from one line, not from the whole head.
  bool line_too_long() const { return line_too_long_; }

 private:
  size_t max_head_, max_line_;
  State state_ = State::kInHead;
  size_t head_bytes_ = 0;
  size_t line_bytes_ = 0;  // of the current line, "\r" and "\n" excluded
  bool line_too_long_ = false;
};

}  // namespace cacheopt
