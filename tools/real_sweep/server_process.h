// One `cacheopt serve` child for one run of the real-engine experiment:
// started pinned to the server's CPUs with its log in a file, ready once
// /health answers 200, its /metrics read before and after, stopped with
// SIGTERM (the server drains and exits 0).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "cacheopt/status.h"
#include "real_sweep/child_process.h"

namespace cacheopt::realexp {

struct ServerSpec {
  std::string model_path;
  std::string policy;
  int32_t device_blocks = 0, host_blocks = 0;
  int32_t threads = 1;
  std::vector<int> cpus;
  int32_t max_concurrency = 256, max_queue = 1024;
  std::string cost_profile;  // "" = the server's own start-up calibration
  std::string log_path;
  std::string steps_log;  // "" = none; else serve --steps-log
};

class ServerUnderTest {
 public:
  // Waits up to `ready_timeout_s` for /health to answer 200. A child that
  // exits first, or never becomes ready, is an error quoting its log's end.
  static Result<ServerUnderTest> Start(const ServerSpec& spec, double ready_timeout_s);

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  Result<std::map<std::string, double>> ScrapeMetrics() const;
  // SIGTERM and wait (SIGKILL after `grace_s`); the exit code.
  int Stop(double grace_s);

 private:
  explicit ServerUnderTest(ChildProcess child) : child_(std::move(child)) {}
  ChildProcess child_;
  int port_ = 0;
  std::string log_path_;
};

// The last `max_bytes` of a file (for error messages); "" if unreadable.
std::string FileTail(const std::string& path, size_t max_bytes = 1500);

}  // namespace cacheopt::realexp
