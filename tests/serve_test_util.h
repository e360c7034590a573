// An in-process `cacheopt serve` for tests: the random-weight tiny model (no
// ../shared needed) on an ephemeral port of 127.0.0.1, running on its own
// thread for the test's life. Shared by serve_test.cc and
// bench_client_test.cc.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <cstdint>
#include <sstream>
#include <string>
#include <thread>

#include "server/server.h"

namespace cacheopt::serve_test {

// The tiny model with a long context, so a long generation lasts long
// enough (seconds) to disconnect, fill the queue or drain while it runs.
inline constexpr int32_t kContext = 4096;

inline ServerOptions TinyOptions() {
  ServerOptions o;
  o.engine.model.generate_config = "tiny";
  o.engine.model.generate_seed = 3;
  o.engine.model.context = kContext;
  o.engine.threads = 2;
  o.engine.calibrate.reps = 1;
  o.engine.check_invariants = true;
  o.port = 0;
  o.grace_period_s = 30;
  o.log = [](const std::string&) {};
  return o;
}

// A server running on its own thread for the test's life.
class TestServer {
 public:
  explicit TestServer(ServerOptions o = TinyOptions()) : server_(std::move(o)) {
    Status s = server_.Bind();
    EXPECT_TRUE(s.ok()) << s.message();
    thread_ = std::thread([this] { run_status_ = server_.Run(); });
    for (int i = 0; i < 6000 && !server_.ready(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_TRUE(server_.ready());
  }
  ~TestServer() { (void)Finish(true); }
  // Drains and waits for Run to return; its status.
  Status Finish(bool force = false) {
    if (thread_.joinable()) {
      server_.Drain(force);
      thread_.join();
    }
    return run_status_;
  }
  int port() const { return server_.port(); }
  Server& server() { return server_; }

 private:
  Server server_;
  std::thread thread_;
  Status run_status_;
};

// The value of the first sample of `name` (whose labels contain `label`,
// when given) in a Prometheus text exposition; -1 when there is none.
inline double MetricValue(const std::string& text, const std::string& name, const std::string& label = "") {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name, 0) != 0) continue;  // also skips "# HELP name ..."
    const char next = line.size() > name.size() ? line[name.size()] : ' ';
    if (next != '{' && next != ' ') continue;
    if (!label.empty() && line.find(label) == std::string::npos) continue;
    return std::stod(line.substr(line.rfind(' ') + 1));
  }
  return -1;
}

// MetricValue from a GET /metrics of the server on `port`; -1 without an answer.
inline double ScrapeMetric(int port, const std::string& name, const std::string& label = "") {
  httplib::Client c("127.0.0.1", port);
  auto res = c.Get("/metrics");
  return res ? MetricValue(res->body, name, label) : -1;
}

}  // namespace cacheopt::serve_test
