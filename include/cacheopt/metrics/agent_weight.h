// The load figure a replica reports to HAProxy's agent check (`agent-check`:
// the agent answers one line, `up NN%`, and HAProxy sets the server's
// effective weight to NN% of its configured weight). One formula for the
// real server's --lb-agent-port and the simulated cluster's `leastconn`
// router, so the simulation routes on exactly what a replica would report.
#pragma once

#include <cstdint>

namespace cacheopt {

// From the replica's waiting requests and device KV use (0..1, vLLM's
// kv_cache_usage_perc):
//   NN = round(100 x (1 - kv_use / 2) / (1 + waiting)), clamped to [1, 100].
// A waiting request means the replica is already saturated, so queue depth
// divides the weight; KV use at most halves it, because a vLLM-style engine
// runs with its KV nearly full by design and full KV alone is not overload.
// Never 0: `up 0%` would take the server out of rotation, which is what
// `drain` is for.
int AgentWeightPercent(int64_t waiting, double kv_use);

}  // namespace cacheopt
