// JSON Lines traces: one object per line with prompt_tokens and
// output_tokens (required) and optional arrival_s, max_tokens, slo_class and
// prompt. Unknown keys are ignored; blank lines are skipped.
#pragma once

#include <string>
#include <string_view>

#include "cacheopt/status.h"
#include "trace/trace.h"

namespace cacheopt {

// `source` names the file in messages ("<source>:<line>: ...").
Result<Trace> ParseJsonlTrace(std::string_view text, const std::string& source);

}  // namespace cacheopt
