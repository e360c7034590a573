// Stop strings over streamed text. The engine hands the server text pieces
// (one per token, split anywhere, even inside a UTF-8 character); a stop
// string may span pieces. Push returns only text that is safe to send:
// - a suffix that could still grow into a stop string is held back, and
//   released once it cannot (or at Flush);
// - a trailing incomplete UTF-8 character is held back too, so every chunk
//   sent is valid UTF-8 on its own (JSON needs that).
// On a match the text before the stop string is returned and the stop
// string itself is dropped, as OpenAI does (finish_reason "stop"). When
// several stop strings complete in the same text, the one that starts first
// wins. After a match every later piece is ignored.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cacheopt {

class StopMatcher {
 public:
  // Empty strings in `stops` are dropped (they would match at once).
  explicit StopMatcher(std::vector<std::string> stops = {});

  struct Output {
    std::string text;      // safe to emit now
    bool stopped = false;  // a stop string completed in this piece
    int matched = -1;      // its index in the constructor's list (after dropping empties)
  };
  Output Push(std::string_view piece);
  // The held-back text, at the end of the sequence: it can no longer become
  // a stop string. "" after a match.
  std::string Flush();

  bool stopped() const { return stopped_; }
  // Bytes held back right now (for tests).
  size_t held() const { return buffer_.size(); }

 private:
  std::vector<std::string> stops_;
  size_t max_len_ = 0;  // longest stop string
  std::string buffer_;  // the held-back tail
  bool stopped_ = false;
};

// The length of the longest prefix of `s` that does not end inside a UTF-8
// character: bytes of a trailing incomplete (but so far valid) sequence are
// excluded. Malformed bytes count as complete, to be replaced when rendered.
size_t CompleteUtf8Prefix(std::string_view s);

}  // namespace cacheopt
