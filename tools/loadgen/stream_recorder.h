// Turns one streamed response's bytes, each piece stamped with its arrival
// time, into a RequestRecord, following vLLM's request function
// (benchmarks/lib/endpoint_request_func.py): TTFT at the first chunk with
// text, one ITL per later chunk with text, latency at the last chunk with
// choices, output tokens from the usage chunk. No I/O: stream_request.h feeds
// it from the socket, tests feed it by hand.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "loadgen/request_record.h"
#include "loadgen/sse_parser.h"

namespace cacheopt::bench {

class StreamRecorder {
 public:
  // `send_s`: when the request was sent, on the clock of every later call.
  explicit StreamRecorder(double send_s);

  // Bytes of a 200 answer's body that arrived at `now_s`. False once reading
  // on is pointless (malformed event, error event): stop the transfer.
  bool OnBytes(std::string_view bytes, double now_s);

  // The transfer ended at `now_s`; `transport_error` is "" when it ended
  // cleanly, else what the HTTP client said. Call once.
  RequestRecord Finish(double now_s, const std::string& transport_error);

  // Chunks carrying text so far.
  int32_t text_chunks() const { return r_.text_chunks; }

 private:
  void OnEvent(const SseEvent& ev, double now_s);

  double send_s_;
  SseParser parser_;
  std::vector<SseEvent> events_;
  RequestRecord r_;
  std::string error_;  // the first problem seen in the stream
  bool done_ = false;  // "[DONE]" seen
  int64_t events_seen_ = 0;
  std::string head_;  // the body's first bytes, for a message when it is no stream
  double last_text_s_ = 0;
  double last_choice_s_ = -1;
};

}  // namespace cacheopt::bench
