// One benchmark request: POST a streaming completion and record, as the
// bytes arrive, when its tokens came (stream_recorder.h). Blocking; the
// runner gives each in-flight request its own thread.
#pragma once

#include <chrono>
#include <limits>
#include <string>

#include "loadgen/http_target.h"
#include "loadgen/request_record.h"

namespace cacheopt::bench {

using SteadyClock = std::chrono::steady_clock;

// "the time limit (N s after the start) passed".
std::string TimeLimitError(double deadline_s);

// Seconds from `origin` to now.
double SecondsSince(SteadyClock::time_point origin);

// POSTs `body` (JSON with "stream": true) to `path` (e.g. "/v1/completions").
// Never throws: a refused connection, a non-200 answer or a malformed
// stream is a failed record whose error names the URL and what went wrong.
// send_s and every time are measured from `origin`.
// `deadline_s` (seconds from `origin`; infinity: none): past it the request
// is abandoned, its connection closed, and the record fails naming the
// time limit.
// `hang_up_after_chunks` > 0: the client hangs up on purpose once that many
// text chunks came (an injected fault); the record fails with fault
// "disconnect".
RequestRecord SendStreamingRequest(const HttpTarget& target, const std::string& path, const std::string& body,
                                   SteadyClock::time_point origin,
                                   double deadline_s = std::numeric_limits<double>::infinity(),
                                   int32_t hang_up_after_chunks = 0);

}  // namespace cacheopt::bench
