// The server a benchmark talks to: "http[s]://host[:port][/prefix]", checked
// before anything is sent, so a typo fails at once with a message saying
// what is wrong.
#pragma once

#include <string>

#include "cacheopt/status.h"

namespace cacheopt::bench {

struct BaseUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // a name, IPv4, or IPv6 without brackets
  int port = 0;        // the default for the scheme when not given
  std::string prefix;  // path before the endpoint, no trailing "/"; often ""

  // "http://127.0.0.1:8000", what cpp-httplib's client takes.
  std::string Origin() const;
  // prefix + path; `path` starts with "/".
  std::string Path(const std::string& path) const;
  // Origin() + Path(path), for messages.
  std::string Url(const std::string& path) const;
};

// InvalidArgument naming the problem: no scheme, a scheme other than http /
// https, no host, a port that is not a number in 1..65535, a query or
// fragment, spaces.
Result<BaseUrl> ParseBaseUrl(const std::string& text);

}  // namespace cacheopt::bench
