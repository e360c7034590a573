// What the client asks the server before a benchmark: GET /v1/models, for the
// model name to send and the context to fit the workload into (vLLM and our
// server report `max_model_len`; OpenAI does not). Doubles as the check that
// the base URL answers at all, so a wrong URL fails before the workload.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "loadgen/http_target.h"
#include "cacheopt/status.h"

namespace cacheopt::bench {

struct ServedModelInfo {
  std::string id;
  int32_t max_model_len = 0;  // 0: not reported
};

// The served models in the server's order. Errors: IoError when the server
// cannot be reached (the message names the URL and the cause),
// InvalidArgument for an answer other than 200 or a body that is not an
// OpenAI model list.
Result<std::vector<ServedModelInfo>> FetchModels(const HttpTarget& target);

// Parses a /v1/models body ({"data": [{"id", "max_model_len"?}, ...]}).
Result<std::vector<ServedModelInfo>> ParseModelList(const std::string& body);

}  // namespace cacheopt::bench
