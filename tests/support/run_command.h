// Runs a shell command and captures its stdout (redirect stderr in the
// command itself: "2>&1" or "2>/dev/null"), for the tests that drive the
// binary or a peer's tools. One helper, so their capture cannot drift apart.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace cacheopt::testing {

struct CommandResult {
  int code = -1;       // the exit status; -1 when it did not exit normally or did not start
  std::string output;  // everything it wrote to stdout
};

inline CommandResult RunCommand(const std::string& cmd) {
  CommandResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// The output alone, without its trailing newlines (one-line answers: a path).
inline std::string CommandLine(const std::string& cmd) {
  std::string out = RunCommand(cmd).output;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

}  // namespace cacheopt::testing
