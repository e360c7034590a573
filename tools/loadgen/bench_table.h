// The result table on stdout, laid out as vLLM's benchmark prints it
// ("{:<40} {:<10.2f}" rows under centred 50-column headers), with p95 rows
// beside vLLM's p99, an E2E section, and our SLO attainment at the end.
#pragma once

#include <string>

#include "loadgen/runner.h"

namespace cacheopt::bench {

std::string FormatResultTable(const BenchRun& run);

// `text` centred in `width` columns of `fill`, the left side getting the
// smaller half (Python's "{:c^n}").
std::string Centered(const std::string& text, size_t width, char fill);

// Distinct error messages of failed requests, most frequent first, as
// "  N x message" lines; at most `max_lines`.
std::string FormatErrors(const BenchRun& run, size_t max_lines = 5);

}  // namespace cacheopt::bench
