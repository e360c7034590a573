#include "server/stop_matcher.h"

#include <algorithm>

namespace cacheopt {

size_t CompleteUtf8Prefix(std::string_view s) {
  // Walk back over at most 3 continuation bytes to the last lead byte.
  size_t n = s.size();
  size_t i = n;
  int continuation = 0;
  while (i > 0 && continuation < 4) {
    unsigned char c = static_cast<unsigned char>(s[i - 1]);
    if ((c & 0xC0) != 0x80) break;
    --i;
    ++continuation;
  }
  if (i == 0) return n;  // only continuation bytes: malformed, emit as is
  unsigned char lead = static_cast<unsigned char>(s[i - 1]);
  int need = (lead & 0x80) == 0x00   ? 1
             : (lead & 0xE0) == 0xC0 ? 2
             : (lead & 0xF0) == 0xE0 ? 3
             : (lead & 0xF8) == 0xF0 ? 4
                                     : 0;
  if (need == 0) return n;  // not a lead byte: malformed
  int have = continuation + 1;
  return have < need ? i - 1 : n;
}

StopMatcher::StopMatcher(std::vector<std::string> stops) {
  for (std::string& s : stops) {
    if (s.empty()) continue;
    max_len_ = std::max(max_len_, s.size());
    stops_.push_back(std::move(s));
  }
}

StopMatcher::Output StopMatcher::Push(std::string_view piece) {
  Output out;
  if (stopped_) return out;
  buffer_.append(piece);

  // The earliest-starting complete stop string. The held part alone holds
  // none (it was checked last time), so only matches reaching into the new
  // piece are possible; searching the whole small buffer is simplest.
  size_t best = std::string::npos;
  for (size_t k = 0; k < stops_.size(); ++k) {
    size_t p = buffer_.find(stops_[k]);
    if (p < best) {
      best = p;
      out.matched = static_cast<int>(k);
    }
  }
  if (best != std::string::npos) {
    out.text = buffer_.substr(0, best);
    out.stopped = stopped_ = true;
    buffer_.clear();
    return out;
  }

  // Hold back the longest suffix that is a proper prefix of a stop string.
  size_t hold = 0;
  for (size_t len = std::min(buffer_.size(), max_len_ == 0 ? 0 : max_len_ - 1); len > 0; --len) {
    std::string_view tail = std::string_view(buffer_).substr(buffer_.size() - len);
    bool prefix = std::any_of(stops_.begin(), stops_.end(),
                              [&](const std::string& s) { return s.compare(0, len, tail) == 0; });
    if (prefix) {
      hold = len;
      break;
    }
  }
  size_t emit = CompleteUtf8Prefix(std::string_view(buffer_).substr(0, buffer_.size() - hold));
  out.text = buffer_.substr(0, emit);
  buffer_.erase(0, emit);
  return out;
}

std::string StopMatcher::Flush() {
  std::string rest;
  rest.swap(buffer_);
  return stopped_ ? std::string() : rest;
}

}  // namespace cacheopt
