#include "loadgen/http_target.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "loadgen/stream_chunk.h"

namespace cacheopt::bench {
namespace {

std::chrono::microseconds Micros(double s) { return std::chrono::microseconds(static_cast<int64_t>(s * 1e6)); }

}  // namespace

std::unique_ptr<httplib::Client> MakeClient(const HttpTarget& t) {
  auto c = std::make_unique<httplib::Client>(t.url.Origin());
  c->set_connection_timeout(Micros(t.connect_timeout_s));
  c->set_read_timeout(Micros(t.read_timeout_s));
  c->set_write_timeout(Micros(t.read_timeout_s));
  c->set_keep_alive(false);
  c->set_decompress(false);
  c->set_follow_location(false);
  return c;
}

httplib::Headers CommonHeaders(const HttpTarget& t) {
  httplib::Headers h{{"Accept-Encoding", "identity"}};
  if (!t.api_key.empty()) h.emplace("Authorization", "Bearer " + t.api_key);
  return h;
}

std::string DescribeHttpError(httplib::Error e) {
  std::string what;
  switch (e) {
    case httplib::Error::Connection:
      what = "connection refused or host unreachable";
      break;
    case httplib::Error::ConnectionTimeout:
      what = "connection timed out";
      break;
    case httplib::Error::Read:
      what = "reading the answer failed or timed out";
      break;
    case httplib::Error::Write:
      what = "sending the request failed";
      break;
    case httplib::Error::SSLConnection:
    case httplib::Error::SSLServerVerification:
    case httplib::Error::SSLLoadingCerts:
      what = "TLS failed";
      break;
    case httplib::Error::Canceled:
      what = "cancelled";
      break;
    default:
      what = "HTTP client error";
      break;
  }
  return what + " (" + httplib::to_string(e) + ")";
}

std::string ErrorBodyMessage(std::string_view body) {
  if (body.empty()) return "";
  nlohmann::json j = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (!j.is_discarded() && j.is_object()) {
    auto e = j.find("error");
    if (e != j.end()) {
      if (e->is_object()) {
        auto m = e->find("message");
        if (m != e->end() && m->is_string()) return m->get<std::string>();
      } else if (e->is_string()) {
        return e->get<std::string>();
      }
    }
    auto d = j.find("detail");  // FastAPI's error shape (vLLM's 404s)
    if (d != j.end() && d->is_string()) return d->get<std::string>();
  }
  return Excerpt(body, 200);
}

std::string DescribeHttpStatus(int status, std::string_view body) {
  std::string s = "HTTP " + std::to_string(status);
  const std::string m = ErrorBodyMessage(body);
  if (!m.empty()) s += " (" + m + ")";
  return s;
}

}  // namespace cacheopt::bench
