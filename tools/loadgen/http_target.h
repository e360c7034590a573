// One HTTP conversation with the server under test, over cpp-httplib's
// client: connection settings shared by the model query and every
// benchmark request, and the words used when one fails.
#pragma once

#include <httplib.h>

#include <memory>
#include <string>
#include <string_view>

#include "loadgen/base_url.h"

namespace cacheopt::bench {

struct HttpTarget {
  BaseUrl url;
  std::string api_key;  // "": no Authorization header
  double connect_timeout_s = 10;
  // The longest wait for the next bytes of an answer (a queued request may
  // wait long for its first token).
  double read_timeout_s = 600;
};

// A client for `t`: its timeouts, no compression (a compressed stream would
// hide when tokens arrive), a fresh connection per request as vLLM's
// benchmark (force_close) does.
std::unique_ptr<httplib::Client> MakeClient(const HttpTarget& t);
// Headers every request carries: Authorization (when a key is set) and
// Accept-Encoding: identity.
httplib::Headers CommonHeaders(const HttpTarget& t);

// "connection refused or host unreachable (Connection)" and the like.
std::string DescribeHttpError(httplib::Error e);
// The message of an OpenAI-style error body ({"error": {"message"}}), else
// the body's start; "" for an empty body.
std::string ErrorBodyMessage(std::string_view body);
// "HTTP 404 (message)" / "HTTP 500".
std::string DescribeHttpStatus(int status, std::string_view body);

}  // namespace cacheopt::bench
