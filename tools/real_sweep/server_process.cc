#include "real_sweep/server_process.h"

#include <httplib.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "real_sweep/prometheus_sample.h"

namespace cacheopt::realexp {
namespace {

constexpr const char* kListening = "serve: listening on http://127.0.0.1:";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The port from the server's "listening on" line; 0 until it is logged.
int PortFromLog(const std::string& path) {
  const std::string log = ReadAll(path);
  const size_t at = log.find(kListening);
  if (at == std::string::npos) return 0;
  return std::atoi(log.c_str() + at + std::string(kListening).size());
}

}  // namespace

std::string FileTail(const std::string& path, size_t max_bytes) {
  const std::string all = ReadAll(path);
  return all.size() <= max_bytes ? all : all.substr(all.size() - max_bytes);
}

Result<ServerUnderTest> ServerUnderTest::Start(const ServerSpec& spec, double ready_timeout_s) {
  ChildOptions co;
  co.args = {"serve",
             "--model", spec.model_path,
             "--policy", spec.policy,
             "--host", "127.0.0.1",
             "--port", "0",
             "--threads", std::to_string(spec.threads),
             "--kv-device-blocks", std::to_string(spec.device_blocks),
             "--kv-host-blocks", std::to_string(spec.host_blocks),
             "--max-concurrency", std::to_string(spec.max_concurrency),
             "--max-queue", std::to_string(spec.max_queue),
             "--grace-period", "5"};
  if (!spec.cost_profile.empty()) co.args.insert(co.args.end(), {"--cost-model", spec.cost_profile});
  if (!spec.steps_log.empty()) co.args.insert(co.args.end(), {"--steps-log", spec.steps_log});
  co.cpus = spec.cpus;
  co.log_path = spec.log_path;
  auto child = ChildProcess::Start(co);
  if (!child.ok()) return child.status();
  ServerUnderTest s(std::move(*child));
  s.log_path_ = spec.log_path;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(ready_timeout_s);
  auto failed = [&](const std::string& why) {
    s.child_.Stop(2);
    return Status::IoError("server (" + spec.policy + ") " + why + "; its log " + spec.log_path + " ends:\n" +
                           FileTail(spec.log_path));
  };
  while (true) {
    if (s.child_.Exited()) return failed("exited with code " + std::to_string(s.child_.exit_code()));
    if (std::chrono::steady_clock::now() > deadline) return failed("was not ready in time");
    if (s.port_ == 0) s.port_ = PortFromLog(spec.log_path);
    if (s.port_ > 0) {
      httplib::Client c("127.0.0.1", s.port_);
      c.set_connection_timeout(1);
      c.set_read_timeout(2);
      auto r = c.Get("/health");
      if (r && r->status == 200) return s;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

Result<std::map<std::string, double>> ServerUnderTest::ScrapeMetrics() const {
  httplib::Client c("127.0.0.1", port_);
  c.set_connection_timeout(5);
  c.set_read_timeout(10);
  auto r = c.Get("/metrics");
  if (!r) return Status::IoError("GET /metrics failed: " + httplib::to_string(r.error()));
  if (r->status != 200) return Status::IoError("GET /metrics answered " + std::to_string(r->status));
  return ParsePrometheusText(r->body);
}

int ServerUnderTest::Stop(double grace_s) { return child_.Stop(grace_s); }

}  // namespace cacheopt::realexp
