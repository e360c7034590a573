#include "loadgen/base_url.h"

#include <cctype>

namespace cacheopt::bench {
namespace {

Status Bad(const std::string& text, const std::string& why) {
  return Status::InvalidArgument("malformed --base-url '" + text + "': " + why +
                                 " (expected e.g. http://127.0.0.1:8000)");
}

}  // namespace

std::string BaseUrl::Origin() const {
  const bool v6 = host.find(':') != std::string::npos;
  return scheme + "://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string BaseUrl::Path(const std::string& path) const { return prefix + path; }

std::string BaseUrl::Url(const std::string& path) const { return Origin() + Path(path); }

Result<BaseUrl> ParseBaseUrl(const std::string& text) {
  if (text.empty()) return Bad(text, "it is empty");
  for (const char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) || std::iscntrl(static_cast<unsigned char>(c)))
      return Bad(text, "it contains whitespace or control characters");
  }
  const size_t sep = text.find("://");
  if (sep == std::string::npos) return Bad(text, "no scheme (http:// or https://)");
  BaseUrl u;
  u.scheme = text.substr(0, sep);
  for (char& c : u.scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (u.scheme != "http" && u.scheme != "https") return Bad(text, "scheme '" + u.scheme + "' is not http or https");
  std::string rest = text.substr(sep + 3);
  if (rest.find_first_of("?#") != std::string::npos) return Bad(text, "a base URL takes no query or fragment");
  const size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos) u.prefix = rest.substr(slash);
  while (!u.prefix.empty() && u.prefix.back() == '/') u.prefix.pop_back();
  if (authority.find('@') != std::string::npos) return Bad(text, "user info (user@host) is not supported");

  std::string port_text;
  if (!authority.empty() && authority.front() == '[') {  // [IPv6]:port
    const size_t close = authority.find(']');
    if (close == std::string::npos) return Bad(text, "'[' without ']' around an IPv6 address");
    u.host = authority.substr(1, close - 1);
    std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Bad(text, "unexpected text after ']'");
      port_text = after.substr(1);
      if (port_text.empty()) return Bad(text, "':' without a port");
    }
  } else {
    const size_t colon = authority.rfind(':');
    if (colon != std::string::npos) {
      if (authority.find(':') != colon) return Bad(text, "an IPv6 host needs brackets, e.g. http://[::1]:8000");
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return Bad(text, "':' without a port");
      authority.resize(colon);
    }
    u.host = authority;
  }
  if (u.host.empty()) return Bad(text, "no host");
  if (port_text.empty()) {
    u.port = u.scheme == "https" ? 443 : 80;
  } else {
    if (port_text.size() > 5) return Bad(text, "port '" + port_text + "' is not a number in 1..65535");
    int port = 0;
    for (const char c : port_text) {
      if (!std::isdigit(static_cast<unsigned char>(c)))
        return Bad(text, "port '" + port_text + "' is not a number in 1..65535");
      port = port * 10 + (c - '0');
    }
    if (port < 1 || port > 65535) return Bad(text, "port '" + port_text + "' is not a number in 1..65535");
    u.port = port;
  }
  return u;
}

}  // namespace cacheopt::bench
