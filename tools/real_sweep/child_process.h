// A child process of this very binary (`cacheopt serve`, `cacheopt profile`,
// ...) for the real-engine experiment: started pinned to a set of CPUs (so the
// server and the benchmark client do not share a core), its output going to a
// log file, stopped with SIGTERM and, past a grace period, SIGKILL.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "cacheopt/status.h"

namespace cacheopt::realexp {

struct ChildOptions {
  std::vector<std::string> args;  // after the program name
  std::vector<int> cpus;          // empty: inherit this process's affinity
  std::string log_path;           // stdout and stderr, appended
  std::string program;            // "": this binary (/proc/self/exe)
};

class ChildProcess {
 public:
  static Result<ChildProcess> Start(const ChildOptions& opts);
  ChildProcess(ChildProcess&& o) noexcept;
  ChildProcess& operator=(ChildProcess&& o) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();  // kills a child still running

  pid_t pid() const { return pid_; }
  // Whether it has exited (reaps it without waiting); its exit code then.
  bool Exited();
  int exit_code() const { return exit_code_; }
  // Waits up to `timeout_s`; false if it is still running.
  bool Wait(double timeout_s);
  // SIGTERM, then SIGKILL after `grace_s`; the exit code (128 + signal when
  // killed by one).
  int Stop(double grace_s);

 private:
  ChildProcess() = default;
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

// Sets this process's CPU affinity (its future threads inherit it).
Status PinThisProcess(const std::vector<int>& cpus);
// The CPUs this process may run on.
std::vector<int> AllowedCpus();

}  // namespace cacheopt::realexp
