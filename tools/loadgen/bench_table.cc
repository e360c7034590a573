#include "loadgen/bench_table.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <vector>

namespace cacheopt::bench {
namespace {

// "{:<40} {:<10}" of vLLM's rows.
std::string Row(const std::string& label, const std::string& value) {
  char buf[256];
  std::snprintf(buf, sizeof(buf), "%-40s %-10s\n", label.c_str(), value.c_str());
  return buf;
}

std::string Fixed2(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.2f", v);
  return buf;
}

std::string Section(const std::string& header, const std::string& name, const MetricStats& s) {
  std::string out = Centered(header, 50, '-') + "\n";
  out += Row("Mean " + name + " (ms):", Fixed2(s.mean_ms));
  out += Row("Median " + name + " (ms):", Fixed2(s.median_ms));
  out += Row("P95 " + name + " (ms):", Fixed2(s.p95_ms));
  out += Row("P99 " + name + " (ms):", Fixed2(s.p99_ms));
  return out;
}

std::string Percent(const std::optional<double>& v) { return v ? Fixed2(*v * 100) : std::string("n/a"); }

}  // namespace

std::string Centered(const std::string& text, size_t width, char fill) {
  if (text.size() >= width) return text;
  const size_t pad = width - text.size();
  return std::string(pad / 2, fill) + text + std::string(pad - pad / 2, fill);
}

std::string FormatResultTable(const BenchRun& run) {
  const BenchSummary& s = run.summary;
  const BenchOptions& o = run.options;
  std::string out = Centered(" Serving Benchmark Result ", 50, '=') + "\n";
  out += Row("Successful requests:", std::to_string(s.completed));
  out += Row("Failed requests:", std::to_string(s.failed));
  if (o.max_concurrency > 0) out += Row("Maximum request concurrency:", std::to_string(o.max_concurrency));
  if (!std::isinf(o.plan.rate_rps)) out += Row("Request rate configured (RPS):", Fixed2(o.plan.rate_rps));
  out += Row("Benchmark duration (s):", Fixed2(s.duration_s));
  out += Row("Total input tokens:", std::to_string(s.total_input_tokens));
  out += Row("Total generated tokens:", std::to_string(s.total_output_tokens));
  out += Row("Request throughput (req/s):", Fixed2(s.request_throughput));
  if (s.request_goodput) out += Row("Request goodput (req/s):", Fixed2(*s.request_goodput));
  out += Row("Output token throughput (tok/s):", Fixed2(s.output_throughput));
  out += Row("Total Token throughput (tok/s):", Fixed2(s.total_token_throughput));
  out += Section("Time to First Token", "TTFT", s.ttft);
  out += Section("Time per Output Token (excl. 1st token)", "TPOT", s.tpot);
  out += Section("Inter-token Latency", "ITL", s.itl);
  out += Section("End-to-end Latency", "E2EL", s.e2el);
  out += Centered("SLO attainment (cacheopt)", 50, '-') + "\n";
  out += Row("TTFT SLO attainment (%):", Fixed2(s.slo.ttft * 100));
  out += Row("TBT SLO attainment, token gaps (%):", Percent(s.slo.tbt_token));
  out += Row("TBT SLO attainment, requests p95 (%):", Percent(s.slo.tbt_request));
  out += Row("TBT SLO attainment, stall-aware (%):", Percent(s.slo.tbt_stall));
  out += Row("TTFT and TBT SLO attainment (%):", Percent(s.slo.both));
  out += Row("SLO goodput (req/s):", s.slo.goodput_rps ? Fixed2(*s.slo.goodput_rps) : std::string("n/a"));
  const Outcomes& oc = s.outcomes;
  if (o.faults.disconnect_fraction > 0 || o.faults.malformed_fraction > 0 || oc.lost > 0 || oc.no_answer > 0 ||
      oc.malformed_other > 0) {
    out += Centered("Request outcomes (cacheopt)", 50, '-') + "\n";
    out += Row("Completed:", std::to_string(oc.completed));
    out += Row("Answered with a server error:", std::to_string(oc.server_errors));
    out += Row("Hung up by the client (injected):", std::to_string(oc.hung_up));
    out += Row("Malformed, refused with a 4xx:", std::to_string(oc.malformed_refused));
    out += Row("Malformed, answered otherwise:", std::to_string(oc.malformed_other));
    out += Row("Cut by --time-limit:", std::to_string(oc.time_limit));
    out += Row("No HTTP answer:", std::to_string(oc.no_answer));
    out += Row("Lost (200, then no finish or error):", std::to_string(oc.lost));
    std::string statuses;
    for (const auto& [status, n] : oc.by_status)
      statuses += (statuses.empty() ? "" : " ") + std::to_string(status) + ":" + std::to_string(n);
    out += Row("By HTTP status:", statuses);
  }
  out += std::string(50, '=') + "\n";
  return out;
}

std::string FormatErrors(const BenchRun& run, size_t max_lines) {
  std::map<std::string, int64_t> counts;
  for (const RequestRecord& r : run.records)
    if (!r.success) ++counts[r.error];
  std::vector<std::pair<int64_t, std::string>> sorted;
  for (const auto& [msg, n] : counts) sorted.emplace_back(n, msg);
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::string out;
  for (size_t i = 0; i < sorted.size() && i < max_lines; ++i)
    out += "  " + std::to_string(sorted[i].first) + " x " + sorted[i].second + "\n";
  if (sorted.size() > max_lines) out += "  (" + std::to_string(sorted.size() - max_lines) + " more kinds of error)\n";
  return out;
}

}  // namespace cacheopt::bench
