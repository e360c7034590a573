// CSV traces. The header picks the schema: Azure 2023 (TIMESTAMP,
// ContextTokens, GeneratedTokens), Vidur processed traces (num_prefill_tokens,
// num_decode_tokens, optional arrived_at) or this project's own columns
// (prompt_tokens, output_tokens, optional arrival_s, max_tokens, slo_class,
// prompt). Columns a schema does not name are ignored.
#pragma once

#include <string>
#include <string_view>

#include "cacheopt/status.h"
#include "trace/trace.h"

namespace cacheopt {

// `source` names the file in messages ("<source>:<line>: ...").
Result<Trace> ParseCsvTrace(std::string_view text, const std::string& source);

// One line per supported header, for messages and docs.
std::string SupportedCsvHeaders();

}  // namespace cacheopt
