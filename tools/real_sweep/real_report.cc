#include "real_sweep/real_report.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sweep/report_html.h"
#include "render/svg.h"
#include "render/svg_line_plot.h"

namespace cacheopt::realexp {
namespace {

using experiment::LinePlot;
using experiment::Series;
using nlohmann::ordered_json;

std::string F(double v, int decimals = 2) {
  if (!std::isfinite(v)) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string Esc(const std::string& s) { return experiment::XmlEscape(s); }

std::string Pct(double e) { return std::isfinite(e) ? F(100 * e, 1) + "%" : "n/a"; }

double Opt(const std::optional<double>& v) { return v ? *v : NAN; }

// One line per policy over the loads, y from `metric`.
std::string Plot(const RealResults& r, const RealExperimentConfig& c, const std::string& title,
                 const std::string& y_label, double (*metric)(const RealRun&), bool y_log = false,
                 std::optional<double> y_max = std::nullopt) {
  std::vector<Series> series;
  for (const std::string& p : c.policies) {
    Series s;
    s.name = p;
    for (const RealRun& run : r.runs) {
      if (run.policy != p) continue;
      s.x.push_back(run.rate_rps);
      s.y.push_back(run.status.ok() ? metric(run) : NAN);
    }
    series.push_back(std::move(s));
  }
  LinePlot plot;
  plot.title = title;
  plot.x_label = "arrival rate (req/s)";
  plot.y_label = y_label;
  plot.y_log = y_log;
  if (y_max) {
    plot.y_min = 0;
    plot.y_max = *y_max;
  }
  return "<figure>" + experiment::RenderLinePlot(plot, series) + "</figure>";
}

ordered_json SummaryJson(const bench::BenchSummary& s) {
  auto stats = [](const bench::MetricStats& m) {
    return ordered_json{{"mean_ms", m.mean_ms}, {"median_ms", m.median_ms}, {"p95_ms", m.p95_ms}, {"p99_ms", m.p99_ms}};
  };
  ordered_json j{{"completed", s.completed},         {"failed", s.failed},
                 {"duration_s", s.duration_s},       {"request_throughput", s.request_throughput},
                 {"output_throughput", s.output_throughput}, {"ttft", stats(s.ttft)},
                 {"tpot", stats(s.tpot)},            {"itl", stats(s.itl)},
                 {"e2el", stats(s.e2el)},            {"ttft_attainment", s.slo.ttft}};
  if (s.slo.tbt_stall) j["tbt_stall_attainment"] = *s.slo.tbt_stall;
  if (s.slo.both) j["slo_attainment"] = *s.slo.both;
  return j;
}

}  // namespace

double RelativeError(double sim, double real) { return real > 0 ? (sim - real) / real : NAN; }

std::string RealResultsCsv(const RealResults& r) {
  std::ostringstream o;
  o << "policy,load_multiple,rate_rps,status,requests,completed,failed,duration_s,"
       "p50_ttft_ms,p95_ttft_ms,p99_ttft_ms,p50_itl_ms,p95_itl_ms,p99_itl_ms,mean_tpot_ms,p99_e2el_ms,"
       "ttft_attainment,tbt_attainment,slo_attainment,preemptions_recompute,preemptions_swap,"
       "swap_out_blocks,recomputed_tokens,sim_p50_ttft_ms,sim_p95_ttft_ms,sim_p50_tbt_ms,sim_p95_tbt_ms,"
       "sim_preemptions\n";
  for (const RealRun& run : r.runs) {
    const auto& s = run.real;
    o << run.policy << "," << F(run.multiple, 3) << "," << F(run.rate_rps, 4) << ","
      << (run.status.ok() ? "ok" : "failed") << "," << run.requests << "," << s.completed << "," << s.failed << ","
      << F(s.duration_s, 3) << "," << F(s.ttft.median_ms) << "," << F(s.ttft.p95_ms) << "," << F(s.ttft.p99_ms)
      << "," << F(s.itl.median_ms, 3) << "," << F(s.itl.p95_ms, 3) << "," << F(s.itl.p99_ms, 3) << ","
      << F(s.tpot.mean_ms, 3) << "," << F(s.e2el.p99_ms) << "," << F(s.slo.ttft, 4) << ","
      << F(Opt(s.slo.tbt_stall), 4) << "," << F(Opt(s.slo.both), 4) << "," << run.counters.preemptions_recompute
      << "," << run.counters.preemptions_swap << "," << run.counters.swap_out_blocks << ","
      << run.counters.recomputed_tokens << ",";
    if (run.sim) {
      o << F(run.sim->p50_ttft_ms) << "," << F(run.sim->p95_ttft_ms) << "," << F(run.sim->p50_tbt_ms, 3) << ","
        << F(run.sim->p95_tbt_ms, 3) << "," << *run.sim_preemptions;
    } else {
      o << ",,,,";
    }
    o << "\n";
  }
  return o.str();
}

std::string RenderRealReport(const RealResults& r, const RealExperimentConfig& c) {
  const RealSetup& s = r.setup;
  std::string o = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>cacheopt real-engine "
                  "experiment</title><style>" +
                  std::string(experiment::ReportCss()) + "</style></head><body>\n";
  o += "<h1>cacheopt: the policies on the real CPU engine</h1>\n";
  if (!c.description.empty()) o += "<p>" + Esc(c.description) + "</p>\n";
  o += "<p class=\"cap\">Command: <code>" + Esc(r.command) + "</code>; config " + Esc(r.config_path) +
       "; wall time " + F(r.wall_s / 60, 1) + " min.</p>\n";
  o += "<h2>Set-up</h2>\n<table>";
  auto row = [&](const std::string& k, const std::string& v) {
    o += "<tr><th class=\"l\">" + Esc(k) + "</th><td class=\"l\">" + Esc(v) + "</td></tr>";
  };
  row("machine", s.machine);
  row("model", s.model_name + " (" + s.model_path + "), context " + std::to_string(s.context) + ", " +
                   std::to_string(s.kv_bytes_per_token) + " KV bytes/token");
  row("profile (cacheopt profile)", s.profile_fit);
  row("workload", c.trace + ", lengths / " + F(c.length_scale, 1) + ", " + std::to_string(c.requests) +
                      " requests, seed " + std::to_string(c.seed) + ", " + c.arrival + " arrivals; " +
                      s.trace_description);
  row("reference capacity", c.reference_policy + ": " + F(s.reference_rps, 3) +
                                " req/s (simulated with the profile, token-level, 90% of SLOs, 3 seeds)");
  row("device tier", std::to_string(s.device_blocks) + " blocks of " + std::to_string(s.block_size) + " tokens = " +
                         F(c.working_set_multiple, 2) + " x the mean working set (" +
                         F(s.mean_working_set_blocks, 1) + " blocks) at the reference rate; host tier " +
                         std::to_string(s.host_blocks) + " blocks");
  auto cpus = [](const std::vector<int>& v) {
    std::string t;
    for (int x : v) t += (t.empty() ? "" : ",") + std::to_string(x);
    return t.empty() ? std::string("not pinned") : "CPU " + t;
  };
  row("placement", "server " + cpus(s.server_cpus) + " (" + std::to_string(s.server_threads) +
                       " engine threads); benchmark client " + cpus(s.client_cpus));
  o += "</table>\n";
  for (const std::string& n : s.notes) o += "<p class=\"warn\">" + Esc(n) + "</p>\n";

  o += "<h2>Tail latency and SLO attainment against load</h2>\n<div class=\"figs\">";
  o += Plot(r, c, "p95 TTFT", "ms", [](const RealRun& x) { return x.real.ttft.p95_ms; }, true);
  o += Plot(r, c, "p99 TTFT", "ms", [](const RealRun& x) { return x.real.ttft.p99_ms; }, true);
  o += Plot(r, c, "p95 TBT (inter-token latency)", "ms", [](const RealRun& x) { return x.real.itl.p95_ms; }, true);
  o += Plot(r, c, "p99 TBT (inter-token latency)", "ms", [](const RealRun& x) { return x.real.itl.p99_ms; }, true);
  o += Plot(r, c, "TTFT SLO attainment", "fraction of requests", [](const RealRun& x) { return x.real.slo.ttft; },
            false, 1.0);
  o += Plot(r, c, "TTFT and stall-aware TBT SLOs", "fraction of requests",
            [](const RealRun& x) { return Opt(x.real.slo.both); }, false, 1.0);
  o += Plot(r, c, "Preemptions per 1000 requests", "preemptions",
            [](const RealRun& x) { return x.PreemptionsPer1000(); });
  o += "</div>\n";

  o += "<h2>Runs</h2>\n<table><tr><th class=\"l\">policy</th><th>load</th><th>req/s</th><th>done</th>"
       "<th>failed</th><th>p50 TTFT ms</th><th>p95 TTFT ms</th><th>p99 TTFT ms</th><th>p50 TBT ms</th>"
       "<th>p95 TBT ms</th><th>p99 TBT ms</th><th>TTFT att.</th><th>SLO att.</th><th>preempt. (recompute/swap)"
       "</th><th>wall s</th></tr>\n";
  for (const RealRun& run : r.runs) {
    const auto& x = run.real;
    o += "<tr><td class=\"l\">" + Esc(run.policy) + "</td><td>" + F(run.multiple, 2) + "x</td><td>" +
         F(run.rate_rps, 3) + "</td>";
    if (!run.status.ok()) {
      o += "<td class=\"l warn\" colspan=\"12\">" + Esc(run.status.message()) + "</td></tr>\n";
      continue;
    }
    o += "<td>" + std::to_string(x.completed) + "</td><td>" + std::to_string(x.failed) + "</td><td>" +
         F(x.ttft.median_ms, 1) + "</td><td>" + F(x.ttft.p95_ms, 1) + "</td><td>" + F(x.ttft.p99_ms, 1) +
         "</td><td>" + F(x.itl.median_ms) + "</td><td>" + F(x.itl.p95_ms) + "</td><td>" + F(x.itl.p99_ms) +
         "</td><td>" + F(x.slo.ttft, 3) + "</td><td>" + F(Opt(x.slo.both), 3) + "</td><td>" +
         F(run.counters.preemptions_recompute, 0) + " / " + F(run.counters.preemptions_swap, 0) + "</td><td>" +
         F(run.wall_s, 0) + "</td></tr>\n";
  }
  o += "</table>\n";

  o += "<h2>Fidelity: the simulator with this machine's profile against the real server</h2>\n"
       "<p class=\"cap\">Same requests (lengths, caps, SLO classes), the send times the client recorded, the same "
       "policy and tiers; error = (simulated - real) / real. TBT is the pooled inter-token gap (the client's "
       "ITL).</p>\n<table><tr><th class=\"l\">policy</th><th>load</th><th>p50 TTFT real / sim ms</th>"
       "<th>error</th><th>p95 TTFT real / sim ms</th><th>error</th><th>p50 TBT real / sim ms</th><th>error</th>"
       "<th>p95 TBT real / sim ms</th><th>error</th><th>preemptions real / sim</th></tr>\n";
  int within15 = 0, within10 = 0, total = 0;
  for (const RealRun& run : r.runs) {
    if (!run.sim || !run.status.ok()) continue;
    const auto& x = run.real;
    const Summary& m = *run.sim;
    o += "<tr><td class=\"l\">" + Esc(run.policy) + "</td><td>" + F(run.multiple, 2) + "x</td>";
    const double pairs[4][2] = {{x.ttft.median_ms, m.p50_ttft_ms},
                                {x.ttft.p95_ms, m.p95_ttft_ms},
                                {x.itl.median_ms, m.p50_tbt_ms},
                                {x.itl.p95_ms, m.p95_tbt_ms}};
    for (const auto& pr : pairs) {
      const double e = RelativeError(pr[1], pr[0]);
      ++total;
      within15 += std::fabs(e) <= 0.15;
      within10 += std::fabs(e) <= 0.10;
      o += "<td>" + F(pr[0]) + " / " + F(pr[1]) + "</td><td" + (std::fabs(e) > 0.15 ? " class=\"flag\"" : "") +
           ">" + Pct(e) + "</td>";
    }
    o += "<td>" + F(run.counters.preemptions_recompute + run.counters.preemptions_swap, 0) + " / " +
         std::to_string(*run.sim_preemptions) + "</td></tr>\n";
  }
  o += "</table>\n<p>" + std::to_string(within15) + " of " + std::to_string(total) + " predictions within 15%, " +
       std::to_string(within10) + " within 10%.</p>\n";
  o += "<p class=\"cap\">Per-run benchmark results (vLLM's fields): runs/*.json; server logs: logs/; the profile: "
       "profile.json.</p>\n</body></html>\n";
  return o;
}

Status WriteRealOutputs(const RealResults& r, const RealExperimentConfig& c, const std::string& out_dir) {
  namespace fs = std::filesystem;
  auto write = [&](const std::string& name, const std::string& text) -> Status {
    std::ofstream f(fs::path(out_dir) / name);
    f << text;
    if (!f) return Status::IoError("cannot write " + (fs::path(out_dir) / name).string());
    return Status::Ok();
  };
  ordered_json j;
  j["command"] = r.command;
  j["config"] = r.config_path;
  const RealSetup& s = r.setup;
  j["setup"] = {{"machine", s.machine},
                {"model", s.model_name},
                {"model_path", s.model_path},
                {"context", s.context},
                {"profile_fit", s.profile_fit},
                {"workload", s.trace_description},
                {"reference_policy", c.reference_policy},
                {"reference_rps", s.reference_rps},
                {"mean_working_set_blocks", s.mean_working_set_blocks},
                {"device_blocks", s.device_blocks},
                {"host_blocks", s.host_blocks},
                {"server_cpus", s.server_cpus},
                {"client_cpus", s.client_cpus},
                {"server_threads", s.server_threads},
                {"notes", s.notes}};
  ordered_json runs = ordered_json::array();
  for (const RealRun& run : r.runs) {
    ordered_json x{{"policy", run.policy}, {"load_multiple", run.multiple}, {"rate_rps", run.rate_rps},
                   {"ok", run.status.ok()}};
    if (!run.status.ok()) x["error"] = run.status.message();
    x["requests"] = run.requests;
    x["real"] = SummaryJson(run.real);
    x["server_counters"] = {{"preemptions_recompute", run.counters.preemptions_recompute},
                            {"preemptions_swap", run.counters.preemptions_swap},
                            {"swap_out_blocks", run.counters.swap_out_blocks},
                            {"swap_in_blocks", run.counters.swap_in_blocks},
                            {"recomputed_tokens", run.counters.recomputed_tokens}};
    if (run.sim)
      x["simulated"] = {{"p50_ttft_ms", run.sim->p50_ttft_ms},
                        {"p95_ttft_ms", run.sim->p95_ttft_ms},
                        {"p50_tbt_ms", run.sim->p50_tbt_ms},
                        {"p95_tbt_ms", run.sim->p95_tbt_ms},
                        {"preemptions", *run.sim_preemptions}};
    x["wall_s"] = run.wall_s;
    x["result"] = run.result_path;
    runs.push_back(std::move(x));
  }
  j["runs"] = runs;
  j["wall_s"] = r.wall_s;
  Status st = write("results.json", j.dump(1) + "\n");
  if (st.ok()) st = write("results.csv", RealResultsCsv(r));
  if (st.ok()) st = write("report.html", RenderRealReport(r, c));
  return st;
}

}  // namespace cacheopt::realexp
