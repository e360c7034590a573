// The server's transport limits over raw sockets: a request head over
// --max-header gets 431, a connection over --max-connections gets 503, both
// with an OpenAI-style JSON error, and the server goes on serving.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "serve_test_util.h"
#include "server/server.h"

namespace cacheopt {
namespace {

using json = nlohmann::json;
using serve_test::TestServer;
using serve_test::TinyOptions;

int Connect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  return fd;
}

// Sends `request` (as far as the server reads it) and returns everything
// the server writes until it closes, or 10 s pass.
std::string Exchange(int fd, const std::string& request) {
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server stopped reading: its answer is waiting
    sent += static_cast<size_t>(n);
  }
  std::string got;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

struct RawReply {
  int status = 0;
  std::string head, body;
};

RawReply Parse(const std::string& raw) {
  RawReply r;
  const size_t end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.1 ", 0) != 0 || end == std::string::npos) return r;
  r.status = std::stoi(raw.substr(9, 3));
  r.head = raw.substr(0, end);
  r.body = raw.substr(end + 4);
  return r;
}

int HealthStatus(int port) {
  httplib::Client c("127.0.0.1", port);
  auto res = c.Get("/health");
  return res ? res->status : 0;
}

TEST(ServeLimitsTest, AHeadOfManyHeadersOverTheLimitGets431) {
  ServerOptions o = TinyOptions();
  o.max_header_bytes = 4096;
  TestServer srv(o);
  std::string req = "POST /v1/completions HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 400; ++i) req += "X-Pad-" + std::to_string(i) + ": abcdefgh\r\n";
  req += "Content-Length: 2\r\n\r\n{}";
  const int fd = Connect(srv.port());
  const RawReply r = Parse(Exchange(fd, req));
  ::close(fd);
  ASSERT_EQ(r.status, 431) << r.head;
  const json e = json::parse(r.body)["error"];
  EXPECT_EQ(e["code"], "request_header_too_large");
  EXPECT_NE(e["message"].get<std::string>().find("4096 bytes (serve --max-header)"), std::string::npos) << e;
  EXPECT_NE(r.head.find("Connection: close"), std::string::npos);
  // Still serving, and counted.
  EXPECT_EQ(HealthStatus(srv.port()), 200);
  EXPECT_EQ(serve_test::ScrapeMetric(srv.port(), "cacheopt_http_refused_total", "reason=\"header_too_large\""), 1);
}

TEST(ServeLimitsTest, OneHeaderLineOverEightKiBGets431NamingTheLine) {
  TestServer srv;  // the default 16 KiB head: the line limit bites first
  const std::string req = "GET /health HTTP/1.1\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n";
  const int fd = Connect(srv.port());
  const RawReply r = Parse(Exchange(fd, req));
  ::close(fd);
  ASSERT_EQ(r.status, 431) << r.head;
  EXPECT_NE(json::parse(r.body)["error"]["message"].get<std::string>().find("longer than 8192 bytes"),
            std::string::npos);
  EXPECT_EQ(HealthStatus(srv.port()), 200);
}

TEST(ServeLimitsTest, AHeadUnderTheLimitIsServed) {
  TestServer srv;
  std::string req = "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n";
  for (int i = 0; i < 100; ++i) req += "X-Pad-" + std::to_string(i) + ": abcdefgh\r\n";  // ~2.3 KiB
  req += "\r\n";
  const int fd = Connect(srv.port());
  const RawReply r = Parse(Exchange(fd, req));
  ::close(fd);
  EXPECT_EQ(r.status, 200) << r.head;
}

TEST(ServeLimitsTest, ConnectionsOverTheLimitGet503AndTheServerRecovers) {
  ServerOptions o = TinyOptions();
  o.max_concurrency = 1;
  o.max_queue = 0;
  o.keep_alive_timeout_s = 60;  // idle connections hold their threads
  const HttpLimits limits = HttpLimitsFor(o);
  o.max_connections = static_cast<int32_t>(limits.threads) + 2;  // two may wait for a thread
  TestServer srv(o);
  std::vector<int> idle;
  for (int i = 0; i < o.max_connections; ++i) idle.push_back(Connect(srv.port()));
  // The listener accepts in connection order, so by the time it takes the
  // next one every slot is held.
  const int fd = Connect(srv.port());
  const RawReply r = Parse(Exchange(fd, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
  ::close(fd);
  ASSERT_EQ(r.status, 503) << r.head;
  EXPECT_NE(r.head.find("Retry-After: 1"), std::string::npos);
  const json e = json::parse(r.body)["error"];
  EXPECT_EQ(e["code"], "too_many_connections");
  EXPECT_NE(e["message"].get<std::string>().find("--max-connections"), std::string::npos);
  for (int s : idle) ::close(s);
  int status = 0;
  for (int i = 0; i < 400 && status != 200; ++i) {
    status = HealthStatus(srv.port());
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_EQ(status, 200);
  EXPECT_GE(serve_test::ScrapeMetric(srv.port(), "cacheopt_http_refused_total", "reason=\"max_connections\""), 1);
}

TEST(ServeLimitsTest, AConnectionLimitBelowTheThreadsIsRefusedAtBind) {
  ServerOptions o = TinyOptions();
  o.max_connections = 3;
  Server s(o);
  const Status st = s.Bind();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("--max-connections 3 is below"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace cacheopt
