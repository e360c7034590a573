// `--save-result PATH`: the run as JSON. vLLM's fields with vLLM's names and
// meanings (vllm/benchmarks/serve.py: the summary, then the per-request
// arrays input_lens, output_lens, ttfts, itls, errors; seconds in the
// arrays, ms in the statistics), p95 beside vLLM's p99, and ours under
// cacheopt_* names. `requests` holds one object per request with what a
// simulator replay of the same workload needs (docs/bench.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "loadgen/runner.h"
#include "cacheopt/status.h"

namespace cacheopt::bench {

nlohmann::json BenchResultJson(const BenchRun& run);

// Writes BenchResultJson(run) to `path` (indented). IoError naming the path.
Status WriteBenchResult(const BenchRun& run, const std::string& path);

}  // namespace cacheopt::bench
