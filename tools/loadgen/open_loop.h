// The open-loop sender (vLLM's benchmark loop): request i leaves at its
// planned offset from the start, whatever the earlier ones are doing, each
// on its own thread; with max_concurrency > 0 a request waits for one of
// that many slots first (vLLM's semaphore), and its send time is when it
// actually leaves. Returns once every request has ended.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include "loadgen/bench_progress.h"
#include "loadgen/request_plan.h"
#include "loadgen/request_record.h"
#include "loadgen/stream_request.h"

namespace cacheopt::bench {

// Sends one request and measures it (SendStreamingRequest, or a fake).
using SendFn = std::function<RequestRecord(const PlannedRequest&, SteadyClock::time_point origin)>;

struct OpenLoopResult {
  std::vector<RequestRecord> records;  // parallel to the plan
  double duration_s = 0;               // the start to the last request's end
};

// `progress` may be null. max_concurrency <= 0: unlimited. A request due at
// or after `time_limit_s` (from the start; infinity: none) is not sent: its
// record fails naming the limit (`send` is told the limit, to end the
// requests still open then).
OpenLoopResult RunOpenLoop(const std::vector<PlannedRequest>& plan, const SendFn& send, int32_t max_concurrency,
                           BenchProgress* progress,
                           double time_limit_s = std::numeric_limits<double>::infinity());

}  // namespace cacheopt::bench
