#include "real_sweep/real_report.h"

#include <algorithm>
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

std::string SeedList(const RealExperimentConfig& c) {
  std::string t;
  for (uint64_t s : c.RunSeeds()) t += (t.empty() ? "" : ",") + std::to_string(s);
  return t;
}

// "median [min, max]" of a non-empty sample.
std::string Spread(std::vector<double> v, int decimals, bool pct) {
  std::sort(v.begin(), v.end());
  auto f = [&](double x) { return pct ? Pct(x) : F(x, decimals); };
  return f(v[v.size() / 2]) + " [" + f(v.front()) + ", " + f(v.back()) + "]";
}

// Per policy and load, across seeds: the real tails and the simulator's
// error on each, as median [min, max], so an error reads beside the real spread.
std::string SpreadTable(const RealResults& r, const RealExperimentConfig& c) {
  std::string o =
      "<h2>Spread across seeds</h2>\n<p class=\"cap\">Each cell: median [min, max] over the seeds that ran. Real "
      "values in ms; errors (simulated - real) / real, for the fidelity policies.</p>\n<table><tr><th "
      "class=\"l\">policy</th><th>load</th><th>seeds</th><th>real p50 TTFT</th><th>real p95 TTFT</th><th>real p50 "
      "TBT</th><th>real p95 TBT</th><th>error p50 TTFT</th><th>error p95 TTFT</th><th>error p50 TBT</th><th>error "
      "p95 TBT</th></tr>\n";
  for (double m : c.load_multiples) {
    for (const std::string& p : c.policies) {
      std::vector<double> real[4], err[4];
      for (const RealRun& run : r.runs) {
        if (run.policy != p || run.multiple != m || !run.status.ok()) continue;
        const double x[4] = {run.real.ttft.median_ms, run.real.ttft.p95_ms, run.real.itl.median_ms, run.real.itl.p95_ms};
        for (int i = 0; i < 4; ++i) real[i].push_back(x[i]);
        if (!run.sim) continue;
        const double y[4] = {run.sim->p50_ttft_ms, run.sim->p95_ttft_ms, run.sim->p50_tbt_ms, run.sim->p95_tbt_ms};
        for (int i = 0; i < 4; ++i) err[i].push_back(RelativeError(y[i], x[i]));
      }
      if (real[0].empty()) continue;
      o += "<tr><td class=\"l\">" + Esc(p) + "</td><td>" + F(m, 2) + "x</td><td>" + std::to_string(real[0].size()) +
           "</td>";
      for (int i = 0; i < 4; ++i) o += "<td>" + Spread(real[i], 1, false) + "</td>";
      for (int i = 0; i < 4; ++i) o += "<td>" + (err[i].empty() ? std::string() : Spread(err[i], 1, true)) + "</td>";
      o += "</tr>\n";
    }
  }
  return o + "</table>\n";
}

std::string StepErrorCells(const ErrorSummary& e) {
  return "<td>" + std::to_string(e.steps) + "</td><td>" + Pct(e.p50) + "</td><td>" + Pct(e.p95) + "</td><td>" +
         Pct(e.max) + "</td><td>" + Pct(e.median_signed) + "</td><td>" + F(e.measured_ms, 3) + " / " +
         F(e.predicted_ms, 3) + "</td>";
}

// Each server's steps (serve --steps-log) predicted by the profile: the
// per-step error every simulated figure rests on (cacheopt cost-replay).
std::string StepErrorTable(const RealResults& r) {
  std::string o =
      "<h2>Per-step error: the profile against the server's steps</h2>\n<p class=\"cap\">Each step the server "
      "took (logs/*.steps.jsonl) predicted by the profile's cost model (compute and copies) and compared with one "
      "engine-loop iteration (the step plus the loop's time outside it); |error| = |predicted / measured - 1|. "
      "Speed: the machine's time around the run over the warm-up's (speed checks before and after it, geometric "
      "mean; the model is scaled by it). "
      "Recompute with cacheopt cost-replay.</p>\n<table><tr><th class=\"l\">policy</th><th>load</th><th>seed</th>"
      "<th>speed</th><th>steps</th><th>p50 |error|</th><th>p95 |error|</th><th>max |error|</th><th>median error</th><th>mean "
      "measured / predicted ms</th></tr>\n";
  for (const RealRun& run : r.runs) {
    if (!run.step_error) continue;
    o += "<tr><td class=\"l\">" + Esc(run.policy) + "</td><td>" + F(run.multiple, 2) + "x</td><td>" +
         std::to_string(run.seed) + "</td><td>" + (run.speed ? F(*run.speed, 3) : std::string("-")) + "</td>" +
         StepErrorCells(run.step_error->all) + "</tr>\n";
  }
  if (r.step_error_all)
    o += "<tr><th class=\"l\">all runs</th><td></td><td></td><td></td>" + StepErrorCells(r.step_error_all->all) +
         "</tr>\n";
  // The floor: each decode step against its shape's median (SameShapeSpread).
  if (r.step_noise_within_runs)
    o += "<tr><td class=\"l\">same-shape spread, within runs</td><td></td><td></td><td></td>" +
         StepErrorCells(*r.step_noise_within_runs) + "</tr>\n";
  if (r.step_noise_pooled)
    o += "<tr><td class=\"l\">same-shape spread, all runs</td><td></td><td></td><td></td>" +
         StepErrorCells(*r.step_noise_pooled) + "</tr>\n";
  return o + "</table>\n";
}

// The real capacity search beside the simulator's, and the ratio of the
// first policy searched to the best of the others on each side.
std::string CapacityTable(const RealResults& r) {
  std::string o =
      "<h2>Capacity on the real server (bisection) and in simulation</h2>\n<p class=\"cap\">Highest rate "
      "probed at which TTFT and token-level TBT SLOs each held for the target share of requests, none failing; "
      "the simulator's capacity on the same tiers (token-level, 3 seeds).</p>\n<table><tr><th "
      "class=\"l\">policy</th><th>real req/s</th><th>simulated req/s</th><th>error</th><th "
      "class=\"l\">probes (req/s: held?)</th></tr>\n";
  for (const RealCapacity& c : r.capacities) {
    std::string probes;
    for (const auto& [rate, held] : c.probes) probes += F(rate, 2) + (held ? " yes; " : " no; ");
    o += "<tr><td class=\"l\">" + Esc(c.policy) + "</td><td>" + F(c.real_rps, 2) + "</td><td>" + F(c.sim_rps, 2) +
         "</td><td>" + Pct(RelativeError(c.sim_rps, c.real_rps)) + "</td><td class=\"l\">" + probes + "</td></tr>\n";
  }
  o += "</table>\n";
  if (r.capacities.size() >= 2) {
    double real_best = 0, sim_best = 0;
    for (size_t i = 1; i < r.capacities.size(); ++i) {
      real_best = std::max(real_best, r.capacities[i].real_rps);
      sim_best = std::max(sim_best, r.capacities[i].sim_rps);
    }
    const RealCapacity& first = r.capacities[0];
    o += "<p>" + Esc(first.policy) + " / best of the others: real " +
         (real_best > 0 ? F(first.real_rps / real_best, 3) : std::string("n/a")) + ", simulated " +
         (sim_best > 0 ? F(first.sim_rps / sim_best, 3) : std::string("n/a")) + ".</p>\n";
  }
  return o;
}

}  // namespace

double RelativeError(double sim, double real) { return real > 0 ? (sim - real) / real : NAN; }

std::string RealResultsCsv(const RealResults& r) {
  std::ostringstream o;
  o << "policy,load_multiple,rate_rps,status,requests,completed,failed,duration_s,"
       "p50_ttft_ms,p95_ttft_ms,p99_ttft_ms,p50_itl_ms,p95_itl_ms,p99_itl_ms,mean_tpot_ms,p99_e2el_ms,"
       "ttft_attainment,tbt_attainment,slo_attainment,preemptions_recompute,preemptions_swap,"
       "swap_out_blocks,recomputed_tokens,sim_p50_ttft_ms,sim_p95_ttft_ms,sim_p50_tbt_ms,sim_p95_tbt_ms,"
       "sim_preemptions,seed\n";
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
    o << "," << run.seed << "\n";
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
  if (!s.serving_profile_path.empty())
    row("simulator's cost model", "refitted on a warm-up under serving load (" + s.serving_profile_path +
                                      (s.warmup_steps > 0 ? ", " + std::to_string(s.warmup_steps) + " steps" : "") +
                                      ", against one engine-loop iteration): " + s.serving_fit +
                                      "; reference rate with the idle profile " + F(s.idle_reference_rps, 3) +
                                      " req/s");
  if (!s.policy_fit.empty())
    row("simulated policy's predictions", "the warm-up's steps against the executor's compute time, as the "
                                           "server's online refit: " + s.policy_fit);
  row("SLO targets", "from the server's solo steps (" + s.slo_profile_path + "): decode " + F(s.solo_decode_ms, 3) +
                         " ms, prefill " + F(s.solo_prefill_ms, 3) + " ms at the median prompt");
  row("workload", c.trace + ", lengths / " + F(c.length_scale, 1) + ", " + std::to_string(c.requests) +
                      " requests, seeds " + SeedList(c) + ", " + c.arrival + " arrivals; " +
                      s.trace_description);
  row("reference capacity", c.reference_policy + ": " + F(s.reference_rps, 3) +
                                " req/s (simulated with the simulator's cost model, token-level, 90% of SLOs, 3 seeds)");
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
  if (c.RunSeeds().size() > 1) o += SpreadTable(r, c);
  o += StepErrorTable(r);
  if (!r.capacities.empty()) o += CapacityTable(r);
  o += "<p class=\"cap\">Per-run benchmark results (vLLM's fields): runs/*.json; server logs and steps logs: logs/; "
       "the profile: " + Esc(s.profile_path) + ".</p>\n</body></html>\n";
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
                {"serving_profile", s.serving_profile_path},
                {"serving_fit", s.serving_fit},
                {"policy_fit", s.policy_fit},
                {"warmup_steps", s.warmup_steps},
                {"speed_reference", s.speed_reference},
                {"idle_reference_rps", s.idle_reference_rps},
                {"slo_profile", s.slo_profile_path},
                {"solo_decode_ms", s.solo_decode_ms},
                {"solo_prefill_ms", s.solo_prefill_ms},
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
                   {"seed", run.seed}, {"ok", run.status.ok()}};
    if (!run.status.ok()) x["error"] = run.status.message();
    x["requests"] = run.requests;
    if (run.speed) x["speed"] = *run.speed;
    if (!run.sim_profile_path.empty()) x["sim_profile"] = run.sim_profile_path;
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
    if (run.step_error) {
      const ErrorSummary& e = run.step_error->all;
      x["step_error"] = {{"steps", e.steps},  {"p50", e.p50}, {"p95", e.p95}, {"max", e.max},
                         {"median", e.median_signed}, {"steps_log", run.steps_log}};
    }
    x["wall_s"] = run.wall_s;
    x["result"] = run.result_path;
    runs.push_back(std::move(x));
  }
  j["runs"] = runs;
  ordered_json caps = ordered_json::array();
  for (const RealCapacity& cap : r.capacities) {
    ordered_json probes = ordered_json::array();
    for (const auto& [rate, held] : cap.probes) probes.push_back({{"rate_rps", rate}, {"held", held}});
    ordered_json one{{"policy", cap.policy}, {"real_rps", cap.real_rps}, {"sim_rps", cap.sim_rps}};
    if (cap.speed) one["speed"] = *cap.speed;
    one["probes"] = probes;
    caps.push_back(std::move(one));
  }
  j["capacities"] = caps;
  if (r.step_error_all) {
    const ErrorSummary& e = r.step_error_all->all;
    j["step_error_all"] = {{"steps", e.steps}, {"p50", e.p50}, {"p95", e.p95}, {"max", e.max},
                           {"median", e.median_signed}};
  }
  auto noise = [](const ErrorSummary& e) {
    return ordered_json{{"steps", e.steps}, {"p50", e.p50}, {"p95", e.p95}, {"max", e.max}};
  };
  if (r.step_noise_within_runs) j["step_noise_within_runs"] = noise(*r.step_noise_within_runs);
  if (r.step_noise_pooled) j["step_noise_pooled"] = noise(*r.step_noise_pooled);
  j["wall_s"] = r.wall_s;
  Status st = write("results.json", j.dump(1) + "\n");
  if (st.ok()) st = write("results.csv", RealResultsCsv(r));
  if (st.ok()) st = write("report.html", RenderRealReport(r, c));
  return st;
}

}  // namespace cacheopt::realexp
