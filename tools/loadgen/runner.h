// `cacheopt bench` as a library: ask the server what it serves, plan the
// workload from a trace, send the probe requests alone (probe.h: vLLM's
// initial test run, and the solo decode step), then send the workload
// open-loop and summarise it (docs/bench.md).
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "loadgen/bench_metrics.h"
#include "loadgen/faults.h"
#include "loadgen/probe.h"
#include "loadgen/request_plan.h"
#include "loadgen/request_record.h"
#include "loadgen/slo_targets.h"
#include "cacheopt/status.h"
#include "trace/trace.h"

namespace cacheopt::bench {

struct BenchOptions {
  std::string base_url;                      // http[s]://host[:port][/prefix]
  std::string endpoint = "/v1/completions";  // or /v1/chat/completions
  std::string model;                         // "": the first id of /v1/models
  std::string api_key;                       // "": none
  // The context the workload must fit; 0: the server's max_model_len.
  int32_t max_context = 0;
  // Everything but max_context, which the runner fills in.
  PlanOptions plan;
  int32_t max_concurrency = 0;  // 0: unlimited (vLLM's default)
  GoodputConfig goodput;
  SloFlags slo;
  bool probe = true;
  double connect_timeout_s = 10;
  double read_timeout_s = 600;
  // From the first send; requests not sent by then are not sent, those still
  // open are abandoned (both fail naming the limit). Infinity: none.
  double time_limit_s = std::numeric_limits<double>::infinity();
  // Injected client faults (hang-ups, malformed bodies), drawn from the
  // plan's seed.
  FaultOptions faults;
  std::string workload_name;  // the --dataset / --trace given, for the result
  // Setup lines and progress; null: silent. `redraw`: \r progress (a terminal).
  std::ostream* log = nullptr;
  bool redraw = false;
};

struct BenchRun {
  BenchOptions options;  // as given, log pointer included
  std::string model;     // the name sent
  int32_t max_context = 0;
  std::string context_source;  // "--max-context" or "max_model_len from GET /v1/models"
  RequestPlan plan;
  std::optional<ProbeResult> probe;  // absent with the probe off
  SloTargets slo;
  std::vector<RequestRecord> records;  // parallel to plan.requests
  BenchSummary summary;
  std::string date;  // local time at the start, "YYYYMMDD-HHMMSS" (vLLM's)
};

// Errors before any benchmark request is sent (bad options, a malformed or
// unreachable base URL, a model the server does not serve, no context known,
// a failed probe) are Statuses whose message says what is wrong; a request
// that fails during the run is a failed record instead.
Result<BenchRun> RunBenchmark(const Trace& trace, const BenchOptions& opts);

}  // namespace cacheopt::bench
