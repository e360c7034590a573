// An OpenAI-style API error: the HTTP status, and the body fields of
// {"error": {"message", "type", "param", "code"}}. Protocol parsing returns
// these instead of Status so the HTTP layer needs no mapping table, and every
// message names the field at fault.
#pragma once

#include <cassert>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "cacheopt/status.h"

namespace cacheopt {

struct ApiError {
  int http_status = 400;
  std::string type = "invalid_request_error";
  std::string param;  // the offending field ("messages[1].role"); "" renders as null
  std::string code;   // OpenAI's machine-readable code ("model_not_found"); "" -> null
  std::string message;
};

// 400: a bad field value or a malformed body.
ApiError InvalidRequest(std::string param, std::string message);
// 404, as OpenAI answers an unknown model.
ApiError ModelNotFound(std::string_view model);
// 413: the body is over `limit` bytes.
ApiError PayloadTooLarge(size_t bytes, size_t limit);
// 503: the server cannot take the request now (shutting down, engine failed).
ApiError Unavailable(std::string message);

// A value or the ApiError explaining why there is none.
template <typename T>
using ApiResult = Result<T, ApiError>;

}  // namespace cacheopt
