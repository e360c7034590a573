#include "loadgen/sse_parser.h"

namespace cacheopt::bench {

void SseParser::Feed(std::string_view bytes, std::vector<SseEvent>* out) {
  for (const char c : bytes) {
    if (after_cr_) {
      after_cr_ = false;
      if (c == '\n') continue;  // "\r\n": the line already ended at "\r"
    }
    if (c == '\r' || c == '\n') {
      after_cr_ = c == '\r';
      Line(line_, out);
      line_.clear();
      continue;
    }
    line_.push_back(c);
  }
}

void SseParser::Finish(std::vector<SseEvent>* out) {
  if (!line_.empty()) {
    Line(line_, out);
    line_.clear();
  }
  after_cr_ = false;
  Dispatch(out);
}

void SseParser::Line(std::string_view line, std::vector<SseEvent>* out) {
  if (line.empty()) {
    Dispatch(out);
    return;
  }
  if (line.front() == ':') return;  // a comment (keep-alive pings)
  const size_t colon = line.find(':');
  std::string_view field = line.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) event_.data.push_back('\n');
    event_.data.append(value);
    has_data_ = true;
  } else if (field == "event") {
    event_.event.assign(value);
  }
  // "id", "retry" and unknown fields mean nothing to a completion stream.
}

void SseParser::Dispatch(std::vector<SseEvent>* out) {
  if (has_data_) out->push_back(std::move(event_));
  event_ = SseEvent{};
  has_data_ = false;
}

}  // namespace cacheopt::bench
