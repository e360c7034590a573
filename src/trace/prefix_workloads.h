// Generated traces whose prompts share prefixes (docs/prefix-caching.md), for
// runs that need KV reuse without a recorded trace:
//   shared-prompts  N system prompts of a chosen length, each request one of
//                   them (uniformly) plus its own message;
//   multi-turn      conversations whose next prompt is the previous prompt,
//                   the answer and a new message.
// A spec names one and sets its knobs: "multi-turn:turns=6,think_s=5". Prefix
// identity is carried as ids of kGeneratedPrefixUnit tokens (TraceRow::
// prefix_block_ids; multi-turn rows carry the answer's too, Trace::
// prefix_ids_cover_output); a unit straddling two parts gets its own id.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cacheopt/status.h"
#include "trace/trace.h"

namespace cacheopt {

inline constexpr int32_t kGeneratedPrefixUnit = 16;

// True when `ref` names a generated prefix trace (its name, optionally ':' knobs).
bool IsPrefixWorkloadSpec(std::string_view ref);
std::vector<std::string> PrefixWorkloadNames();

// `rows` requests (at least 1) of the workload `spec` names, drawn from
// `seed`. An unknown name or knob, a malformed value or one out of its range:
// InvalidArgument naming the key and its range.
Result<Trace> PrefixWorkloadTrace(std::string_view spec, uint64_t seed, int64_t rows);

}  // namespace cacheopt
