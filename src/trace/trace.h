// A request trace as read from disk: lengths, optional arrival times, optional
// per-row cap and SLO class. Readers live beside this file; ReadTrace picks one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cacheopt/status.h"

namespace cacheopt {

struct TraceRow {
  double arrival_s = -1;        // seconds since the trace's first row; <0: none
  int32_t prompt_tokens = 0;
  int32_t output_tokens = 0;    // the true length: only the executor may see it
  int32_t max_tokens = -1;      // the client's cap; <0: none given
  std::string slo_class;        // "tight" | "medium" | "loose" | "" (draw one)
  // Prefix identity (Mooncake's `hash_ids`): one id per
  // Trace::prefix_block_tokens tokens of the prompt (and of its answer after
  // it where Trace::prefix_ids_cover_output), the last block possibly
  // partial; equal ids at equal positions mean equal prefixes. Empty: the
  // trace says nothing.
  std::vector<int64_t> prefix_block_ids;
  int64_t line = 0;             // 1-based line in the source file, for messages
};

// Tokens per `prefix_block_ids` entry in Mooncake's release (and any JSONL
// trace with `hash_ids`).
inline constexpr int32_t kPrefixBlockTokens = 512;

struct Trace {
  std::string source;           // file path, or "synthetic(...)"
  std::string format;           // "azure", "vidur", "jsonl", "mooncake", "synthetic"
  bool has_timestamps = false;
  int32_t prefix_block_tokens = kPrefixBlockTokens;  // tokens per prefix id
  // The rows' prefix ids run on past the prompt over its answer (the
  // generated multi-turn conversations: a next prompt repeats the answer).
  bool prefix_ids_cover_output = false;
  std::vector<TraceRow> rows;
};

// Reads any supported format, chosen by extension and header. A malformed row
// is an error naming file, line and field.
Result<Trace> ReadTrace(const std::string& path);

}  // namespace cacheopt
