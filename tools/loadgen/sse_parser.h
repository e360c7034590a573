// Server-sent events (the WHATWG "text/event-stream" format) parsed
// incrementally: bytes arrive in whatever pieces the socket gives, and every
// event is handed out as soon as its blank line arrives. Lines end in "\n",
// "\r\n" or "\r" (a "\r" at the end of a piece waits for the next byte);
// "data:" lines of one event are joined with "\n"; comment lines (":") and
// fields other than data and event are skipped; an event without data is not
// dispatched. The payload's meaning (JSON, "[DONE]") is not this file's job.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cacheopt::bench {

struct SseEvent {
  std::string event;  // the "event:" field; "" when absent (a "message")
  std::string data;   // the data lines joined with "\n"
};

class SseParser {
 public:
  // Parses `bytes` and appends every event they complete to `out`.
  void Feed(std::string_view bytes, std::vector<SseEvent>* out);
  // The stream ended: an event still open (data but no blank line yet) is
  // dispatched, as servers that close right after the last line expect.
  void Finish(std::vector<SseEvent>* out);
  // Bytes of the current, unfinished line (for error messages).
  const std::string& partial_line() const { return line_; }

 private:
  void Line(std::string_view line, std::vector<SseEvent>* out);
  void Dispatch(std::vector<SseEvent>* out);

  std::string line_;
  bool after_cr_ = false;  // the last byte was "\r": a following "\n" is part of it
  SseEvent event_;
  bool has_data_ = false;
};

}  // namespace cacheopt::bench
