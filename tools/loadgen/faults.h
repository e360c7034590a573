// Client faults a benchmark can inject, for overload and fault tests
// (scripts/overload-test.sh): some clients hang up mid-stream, some send a
// malformed request. Which requests, and how, is drawn from the run's seed,
// so a run is repeatable. A server passes when every malformed request gets a
// 4xx with an OpenAI-style error, every hang-up is absorbed (the server
// aborts the request and frees its KV blocks), and no other request is lost.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cacheopt::bench {

struct FaultOptions {
  double disconnect_fraction = 0;  // of requests: hang up after a few text chunks
  double malformed_fraction = 0;   // of requests: send a malformed body instead
};

enum class FaultKind : int8_t { kNone, kDisconnect, kMalformed };

struct Fault {
  FaultKind kind = FaultKind::kNone;
  int32_t disconnect_after_chunks = 0;  // kDisconnect: 1-16 text chunks
  int32_t malformed_variant = 0;        // kMalformed: an index into MalformedBodies
};

// One fault per request, independent draws from `seed`'s fault stream.
std::vector<Fault> PlanFaults(size_t requests, const FaultOptions& o, uint64_t seed);

// Request bodies a server must refuse with a 4xx naming what is wrong: not
// JSON, truncated JSON, wrong field types, a missing prompt, an unknown
// model, negative or absurd max_tokens, a bad temperature, binary bytes.
// `model`: the served model's name, so only the intended field is wrong.
std::vector<std::string> MalformedBodies(const std::string& model);

// "disconnect" / "malformed" / "": the record's fault label.
const char* FaultLabel(FaultKind k);

}  // namespace cacheopt::bench
