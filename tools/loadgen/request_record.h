// What the client measured for one request (vLLM's RequestFuncOutput, plus
// what the SLO attainment and a simulator replay need). Times are seconds on
// the client's steady clock; send_s counts from the benchmark's start, the
// others from the request's own send.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cacheopt::bench {

struct RequestRecord {
  bool success = false;
  std::string error;    // why it failed; "" on success
  int http_status = 0;  // 0: no response (connection failed)
  double send_s = 0;    // when the request was sent, since the benchmark's start
  // Send to the first chunk carrying non-empty text; 0 when none came.
  double ttft_s = 0;
  // Between successive chunks carrying non-empty text (vLLM's ITL): one
  // fewer than text_chunks. A chunk carrying several tokens (a server that
  // coalesces) is one gap, as in vLLM.
  std::vector<double> itls_s;
  // Send to the last chunk carrying choices (vLLM's latency).
  double e2el_s = 0;
  // usage.completion_tokens when the server reports it, else text_chunks.
  int32_t output_tokens = 0;
  bool usage_reported = false;
  int32_t prompt_tokens_reported = -1;  // usage.prompt_tokens; -1: not reported
  int32_t text_chunks = 0;
  std::string finish_reason;  // "" when none came
  // The server answered with an error: a non-200 status, or an error event
  // in the stream. (False for a broken connection or a malformed stream.)
  bool server_error = false;
  // A fault the client injected on purpose (faults.h): "disconnect" (it hung
  // up after `text_chunks` chunks), "malformed" (the body was bad on
  // purpose), "time-limit" (the run's --time-limit came first: not sent, or
  // abandoned), or "".
  std::string fault;
};

}  // namespace cacheopt::bench
