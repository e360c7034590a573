#include "summary_io.h"

#include <cstdio>
#include <fstream>
#include <functional>

namespace cacheopt {

nlohmann::ordered_json ResultJson(const SimulationResult& r) {
  const Summary& s = r.summary;
  nlohmann::ordered_json j;
  j["p50_ttft_ms"] = s.p50_ttft_ms;
  j["p95_ttft_ms"] = s.p95_ttft_ms;
  j["p99_ttft_ms"] = s.p99_ttft_ms;
  j["mean_ttft_ms"] = s.mean_ttft_ms;
  j["p50_tbt_ms"] = s.p50_tbt_ms;
  j["p95_tbt_ms"] = s.p95_tbt_ms;
  j["p99_tbt_ms"] = s.p99_tbt_ms;
  j["mean_tbt_ms"] = s.mean_tbt_ms;
  j["mean_tpot_ms"] = s.mean_tpot_ms;
  j["p99_tpot_ms"] = s.p99_tpot_ms;
  j["p99_longest_stall_ms"] = s.p99_longest_stall_ms;
  j["p50_e2e_ms"] = s.p50_e2e_ms;
  j["p99_e2e_ms"] = s.p99_e2e_ms;
  j["mean_e2e_ms"] = s.mean_e2e_ms;
  j["normalized_latency_ms"] = s.normalized_latency_ms;
  j["ttft_attainment"] = s.ttft_attainment;
  j["tbt_attainment"] = s.tbt_attainment;
  j["tbt_attainment_request"] = s.tbt_attainment_request;
  j["stall_attainment"] = s.stall_attainment;
  j["slo_goodput_rps"] = s.slo_goodput_rps;
  j["throughput_tok_s"] = s.throughput_tok_s;
  j["request_throughput_rps"] = s.request_throughput_rps;
  j["duration_s"] = s.duration_s;
  j["output_tokens"] = s.output_tokens;
  j["preemptions_recompute"] = s.preemptions_recompute;
  j["preemptions_swap"] = s.preemptions_swap;
  j["recomputed_tokens"] = s.recomputed_tokens;
  j["swapped_blocks"] = s.swapped_blocks;
  j["swapped_bytes"] = s.swapped_bytes;
  j["max_preemptions_per_request"] = s.max_preemptions_per_request;
  j["requests_finished"] = s.requests_finished;
  j["requests_rejected"] = s.requests_rejected;
  j["requests_dropped"] = s.requests_dropped;
  j["steps"] = r.steps;
  j["simulated_s"] = r.simulated_s;
  j["peak_kv_use"] = r.peak_kv_use;
  if (r.prefix_caching) {
    const SchedulerCounters& c = r.counters;
    auto rate = [](int64_t hit, int64_t query) { return query > 0 ? static_cast<double>(hit) / query : 0.0; };
    j["prefix_cache"] = {{"query_tokens", c.prefix_query_tokens},
                         {"hit_tokens", c.prefix_hit_tokens},
                         {"hit_rate_tokens", rate(c.prefix_hit_tokens, c.prefix_query_tokens)},
                         {"query_blocks", c.prefix_query_blocks},
                         {"hit_blocks", c.prefix_hit_blocks},
                         {"hit_rate_blocks", rate(c.prefix_hit_blocks, c.prefix_query_blocks)},
                         {"evictions", r.evictions},
                         {"cached_blocks_at_end", r.cached_blocks_at_end}};
  }
  // A cluster run: the prefix hits its router predicted, each replica's share and hits.
  if (!r.replicas.empty()) j["router_predicted_hit_blocks"] = r.router_predicted_hit_blocks;
  for (const ReplicaResult& p : r.replicas)
    j["replicas"].push_back({{"routed", p.routed},
                             {"finished", p.finished},
                             {"steps", p.steps},
                             {"peak_kv_use", p.peak_kv_use},
                             {"prefix_query_tokens", p.prefix_query_tokens},
                             {"prefix_hit_tokens", p.prefix_hit_tokens}});
  return j;
}

namespace {

struct Row {
  const char* label;
  const char* fmt;
  std::function<double(const SimulationResult&)> get;
};

const std::vector<Row>& Rows() {
  static const std::vector<Row> rows = {
      {"TTFT p50 (ms)", "%.1f", [](const SimulationResult& r) { return r.summary.p50_ttft_ms; }},
      {"TTFT p95 (ms)", "%.1f", [](const SimulationResult& r) { return r.summary.p95_ttft_ms; }},
      {"TTFT p99 (ms)", "%.1f", [](const SimulationResult& r) { return r.summary.p99_ttft_ms; }},
      {"TBT p50 (ms)", "%.1f", [](const SimulationResult& r) { return r.summary.p50_tbt_ms; }},
      {"TBT p95 (ms)", "%.1f", [](const SimulationResult& r) { return r.summary.p95_tbt_ms; }},
      {"TBT p99 (ms)", "%.1f", [](const SimulationResult& r) { return r.summary.p99_tbt_ms; }},
      {"longest stall p99 (ms)", "%.1f", [](const SimulationResult& r) { return r.summary.p99_longest_stall_ms; }},
      {"E2E p50 (ms)", "%.0f", [](const SimulationResult& r) { return r.summary.p50_e2e_ms; }},
      {"E2E p99 (ms)", "%.0f", [](const SimulationResult& r) { return r.summary.p99_e2e_ms; }},
      {"normalized latency (ms/tok)", "%.1f", [](const SimulationResult& r) { return r.summary.normalized_latency_ms; }},
      {"TTFT attainment", "%.3f", [](const SimulationResult& r) { return r.summary.ttft_attainment; }},
      {"TBT attainment (tokens)", "%.3f", [](const SimulationResult& r) { return r.summary.tbt_attainment; }},
      {"TBT attainment (requests)", "%.3f", [](const SimulationResult& r) { return r.summary.tbt_attainment_request; }},
      {"stall-aware attainment", "%.3f", [](const SimulationResult& r) { return r.summary.stall_attainment; }},
      {"SLO goodput (req/s)", "%.2f", [](const SimulationResult& r) { return r.summary.slo_goodput_rps; }},
      {"throughput (tok/s)", "%.0f", [](const SimulationResult& r) { return r.summary.throughput_tok_s; }},
      {"preemptions (recompute)", "%.0f", [](const SimulationResult& r) { return double(r.summary.preemptions_recompute); }},
      {"preemptions (swap)", "%.0f", [](const SimulationResult& r) { return double(r.summary.preemptions_swap); }},
      {"max preemptions / request", "%.0f", [](const SimulationResult& r) { return double(r.summary.max_preemptions_per_request); }},
      {"peak KV use", "%.3f", [](const SimulationResult& r) { return r.peak_kv_use; }},
      {"requests finished", "%.0f", [](const SimulationResult& r) { return double(r.summary.requests_finished); }},
      {"requests rejected", "%.0f", [](const SimulationResult& r) { return double(r.summary.requests_rejected); }},
      {"requests dropped (context)", "%.0f", [](const SimulationResult& r) { return double(r.summary.requests_dropped); }},
  };
  return rows;
}

}  // namespace

void PrintComparison(std::ostream& os, const std::vector<std::string>& names,
                     const std::vector<SimulationResult>& results) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%-28s", "");
  os << buf;
  for (const auto& n : names) {
    std::snprintf(buf, sizeof(buf), "%14s", n.c_str());
    os << buf;
  }
  os << "\n";
  for (const Row& row : Rows()) {
    std::snprintf(buf, sizeof(buf), "%-28s", row.label);
    os << buf;
    for (const auto& r : results) {
      char val[32];
      std::snprintf(val, sizeof(val), row.fmt, row.get(r));
      std::snprintf(buf, sizeof(buf), "%14s", val);
      os << buf;
    }
    os << "\n";
  }
}

void PrintResult(std::ostream& os, const std::string& title, const SimulationResult& r) {
  PrintComparison(os, {title}, {r});
}

bool WriteJsonFile(const std::string& path, const nlohmann::ordered_json& j) {
  std::ofstream f(path);
  if (!f) return false;
  f << j.dump(2) << "\n";
  return static_cast<bool>(f);
}

}  // namespace cacheopt
