#include "sweep/report_figures.h"

#include <algorithm>
#include <cmath>

#include "sweep/metrics.h"
#include "render/svg.h"
#include "render/svg_bar_chart.h"
#include "render/svg_line_plot.h"

namespace cacheopt::experiment {
namespace {

using MetricFn = std::function<double(const RunRecord&)>;

MetricFn Metric(const char* name) {
  const MetricDef* m = FindMetric(name);
  return m != nullptr ? m->get : [](const RunRecord&) { return NAN; };
}

struct PlotMetric {
  const char* metric;
  const char* title;
  const char* unit;  // y-axis label
  bool log;
  bool fraction;     // 0..1 with the target line
};

std::string Figure(const std::string& svg) { return "<figure>" + svg + "</figure>"; }

std::string Multiples(const std::vector<double>& ms) {
  std::string out;
  for (double m : ms) out += (out.empty() ? "" : ", ") + Label(m) + "x";
  return out;
}

// One series: the metric's seed mean (whiskers min..max) at each x, the run
// at x given by `spec_at`; `x_of` maps x to the plotted value.
Series SeedSeries(const ExperimentResults& r, const std::string& name, const std::vector<double>& xs,
                  const std::function<RunSpec(double)>& spec_at, const MetricFn& f,
                  const std::function<double(double)>& x_of = [](double x) { return x; }) {
  Series s;
  s.name = name;
  for (double x : xs) {
    SeedStat st = OverSeeds(r, spec_at(x), f);
    s.x.push_back(x_of(x));
    s.y.push_back(st.mean);
    s.lo.push_back(st.min);
    s.hi.push_back(st.max);
  }
  return s;
}

// One series per label: the metric at each load multiple of the setup's reference capacity.
std::vector<Series> LoadSeries(const ExperimentResults& r, int setup, const std::vector<std::string>& labels,
                               const std::vector<double>& multiples, const MetricFn& f) {
  const ExperimentConfig& c = *r.config;
  std::vector<Series> out;
  const double ref = r.setups[setup].reference_rps;
  for (const auto& label : labels)
    out.push_back(SeedSeries(
        r, label, multiples, [&](double m) { return SpecFor(c, setup, *c.FindPolicy(label), m); }, f,
        [ref](double m) { return m * ref; }));
  return out;
}

std::string LoadPlots(const ExperimentResults& r, int setup, const std::vector<PlotMetric>& metrics) {
  const ExperimentConfig& c = *r.config;
  std::string o;
  for (const auto& pm : metrics) {
    LinePlot p;
    p.title = pm.title;
    p.x_label = "arrival rate (req/s)";
    p.y_label = pm.unit;
    p.y_log = pm.log;
    if (pm.fraction) {
      p.y_min = 0;
      p.y_max = 1;
      p.h_lines = {c.capacity.target};
    }
    p.v_lines = {r.setups[setup].reference_rps};
    o += Figure(RenderLinePlot(
        p, LoadSeries(r, setup, c.load_curves.policies, c.load_curves.multiples, Metric(pm.metric))));
  }
  return o;
}

std::string LoadCaption(const ExperimentResults& r, int setup, const std::vector<double>& multiples) {
  const ExperimentConfig& c = *r.config;
  return "<p class=\"cap\">Rates " + Multiples(multiples) + " of " + XmlEscape(c.reference) +
         "'s token-level capacity (" + Label(r.setups[setup].reference_rps) +
         " req/s, dashed vertical line); " + std::to_string(c.setups[setup].requests) +
         " requests per run; points are means over seeds " + std::to_string(c.seeds.size()) +
         ", whiskers min..max over seeds.</p>";
}

const std::vector<CapacityDefinition>& Defs(const ExperimentResults& r) { return r.config->capacity.definitions; }

std::string DefTitle(CapacityDefinition d) { return d == CapacityDefinition::kToken ? "token-level" : "stall-aware"; }

// Bars of capacities: one group per variant, one bar per definition.
std::string CapacityBars(const ExperimentResults& r, int setup, const std::string& title,
                         const std::vector<std::pair<std::string, const Variant*>>& rows) {
  BarChart chart;
  chart.title = title;
  chart.value_label = "capacity (req/s): seed mean, whisker = per-seed min..max";
  for (CapacityDefinition d : Defs(r)) chart.series.push_back(DefTitle(d));
  std::vector<BarGroup> groups;
  for (const auto& [name, v] : rows) {
    BarGroup g;
    g.label = name;
    const CapacityRecord* cap = r.FindCapacity(setup, *v);
    for (CapacityDefinition d : Defs(r)) {
      const CapacityEstimate* e = cap != nullptr ? cap->Find(d) : nullptr;
      if (e == nullptr) {
        g.values.push_back(NAN);
        g.lo.push_back(NAN);
        g.hi.push_back(NAN);
        g.notes.push_back(cap != nullptr && !cap->status.ok() ? "(failed)" : "");
        continue;
      }
      g.values.push_back(e->mean.max_rate_rps);
      g.lo.push_back(e->min_rps);
      g.hi.push_back(e->max_rps);
      g.notes.push_back(e->mean.below_range ? "(< " + Label(r.config->capacity.lo_rps) + ")"
                        : e->mean.above_range ? "(>= " + Label(r.config->capacity.hi_rps) + ")"
                                              : "[" + Label(e->min_rps) + ".." + Label(e->max_rps) + "]");
    }
    groups.push_back(std::move(g));
  }
  return Figure(RenderBarChart(chart, groups));
}

// Bars of run metrics at one load multiple: one group per variant, one bar per metric.
std::string MetricBars(const ExperimentResults& r, int setup, const std::string& title, const std::string& unit,
                       double multiple, const std::vector<std::pair<std::string, const Variant*>>& rows,
                       const std::vector<std::pair<std::string, MetricFn>>& metrics) {
  const ExperimentConfig& c = *r.config;
  BarChart chart;
  chart.title = title;
  chart.value_label = unit;
  for (const auto& [name, f] : metrics) chart.series.push_back(name);
  std::vector<BarGroup> groups;
  for (const auto& [name, v] : rows) {
    BarGroup g;
    g.label = name;
    for (const auto& [mname, f] : metrics) {
      SeedStat st = OverSeeds(r, SpecFor(c, setup, *v, multiple), f);
      g.values.push_back(st.mean);
      g.lo.push_back(st.min);
      g.hi.push_back(st.max);
    }
    groups.push_back(std::move(g));
  }
  return Figure(RenderBarChart(chart, groups));
}

const std::vector<std::pair<std::string, MetricFn>>& AttainmentMetrics() {
  static const std::vector<std::pair<std::string, MetricFn>> kM = {
      {"TTFT", Metric("ttft_attainment")},
      {"TBT (token)", Metric("tbt_attainment")},
      {"stall-aware TBT", Metric("stall_attainment")},
      {"both (TTFT + stall-aware)", Metric("slo_attainment")}};
  return kM;
}

std::string SeriesNoteNoData(const ExperimentResults& r, int setup) {
  if (r.setups[setup].reference_rps > 0) return "";
  return "<p class=\"warn\">No " + XmlEscape(r.config->reference) +
         " capacity in the search range for this setup: runs at multiples of it were skipped.</p>";
}

}  // namespace

std::string CapacityText(const ExperimentResults& r, const CapacityRecord* cap, CapacityDefinition d) {
  if (cap == nullptr) return "n/a";
  if (!cap->status.ok()) return "failed";
  const CapacityEstimate* e = cap->Find(d);
  if (e == nullptr) return "n/a";
  std::string out = Label(e->mean.max_rate_rps);
  if (e->mean.below_range) out = "< " + Label(r.config->capacity.lo_rps);
  if (e->mean.above_range) out = "&ge; " + Label(r.config->capacity.hi_rps);
  return out + " [" + Label(e->min_rps) + ".." + Label(e->max_rps) + "]";
}

std::string LoadCurveFigures(const ExperimentResults& r, int setup) {
  static const std::vector<PlotMetric> kMetrics = {
      {"p95_ttft_ms", "p95 TTFT vs load", "p95 TTFT (ms)", true, false},
      {"p99_ttft_ms", "p99 TTFT vs load", "p99 TTFT (ms)", true, false},
      {"p95_tbt_ms", "p95 TBT vs load", "p95 TBT (ms)", true, false},
      {"p99_tbt_ms", "p99 TBT vs load", "p99 TBT (ms)", true, false},
      {"p99_longest_stall_ms", "p99 longest stall vs load", "p99 longest stall (ms)", true, false},
      {"preemptions_per_1000", "Preemptions vs load", "preemptions / 1000 requests", false, false},
  };
  return SeriesNoteNoData(r, setup) + LoadCaption(r, setup, r.config->load_curves.multiples) +
         "<div class=\"figs\">" + LoadPlots(r, setup, kMetrics) + "</div>";
}

std::string AttainmentFigures(const ExperimentResults& r, int setup) {
  static const std::vector<PlotMetric> kMetrics = {
      {"ttft_attainment", "TTFT attainment vs load", "fraction of requests", false, true},
      {"tbt_attainment", "TBT attainment (token level) vs load", "fraction of token gaps", false, true},
      {"stall_attainment", "Stall-aware TBT attainment vs load", "fraction of requests", false, true},
      {"slo_attainment", "Both SLOs (TTFT + stall-aware) vs load", "fraction of requests", false, true},
      {"slo_goodput_rps", "SLO goodput vs load", "SLO goodput (req/s)", false, false},
  };
  return LoadCaption(r, setup, r.config->load_curves.multiples) +
         "<p class=\"cap\">Dashed horizontal line: the " + Label(r.config->capacity.target) +
         " attainment target.</p><div class=\"figs\">" + LoadPlots(r, setup, kMetrics) + "</div>";
}

std::string CapacityFigure(const ExperimentResults& r, int setup) {
  const ExperimentConfig& c = *r.config;
  std::vector<std::pair<std::string, const Variant*>> rows;
  for (const auto& label : c.capacity.policies) rows.push_back({label, c.FindPolicy(label)});
  return "<div class=\"figs\">" + CapacityBars(r, setup, "Capacity: " + c.setups[setup].name, rows) + "</div>";
}

std::string AblationFigures(const ExperimentResults& r, int setup) {
  const ExperimentConfig& c = *r.config;
  const AblationSpec& a = c.ablation;
  std::vector<std::pair<std::string, const Variant*>> rows = {{a.base + " (all on)", c.FindPolicy(a.base)}};
  for (size_t i = 0; i < a.variants.size(); ++i) rows.push_back({a.names[i], &a.variants[i]});
  std::string o = "<div class=\"figs\">";
  if (a.capacity) o += CapacityBars(r, setup, "Ablation: capacity", rows);
  for (double m : a.load_multiples) {
    o += MetricBars(r, setup, "Ablation: attainment at " + Label(m) + "x", "fraction of requests (TBT: of gaps)", m,
                    rows, AttainmentMetrics());
    o += MetricBars(r, setup, "Ablation: SLO goodput at " + Label(m) + "x", "SLO goodput (req/s)", m, rows,
                    {{"SLO goodput", Metric("slo_goodput_rps")}});
    o += MetricBars(r, setup, "Ablation: preemptions at " + Label(m) + "x", "preemptions / 1000 requests", m, rows,
                    {{"recompute", Metric("recompute_preemptions_per_1000")},
                     {"swap", Metric("swap_preemptions_per_1000")}});
  }
  return o + "</div>";
}

std::string SensitivityFigures(const ExperimentResults& r, int setup) {
  const ExperimentConfig& c = *r.config;
  const SensitivitySpec& s = c.sensitivity;
  std::string o;
  for (const auto& sw : s.sweeps) {
    std::string with;
    for (const auto& [k, v] : sw.with) with += (with.empty() ? " (with " : ", ") + k + "=" + v;
    if (!with.empty()) with += ")";
    o += "<h4>" + XmlEscape(s.base) + ": " + XmlEscape(sw.knob) + XmlEscape(with) + "</h4><div class=\"figs\">";
    std::vector<double> xs;
    for (size_t i = 0; i < sw.values.size(); ++i) xs.push_back(static_cast<double>(i));
    if (s.capacity) {
      LinePlot p;
      p.title = "Capacity vs " + sw.knob;
      p.x_label = sw.knob;
      p.y_label = "capacity (req/s)";
      p.x_categories = sw.values;
      std::vector<Series> series;
      for (CapacityDefinition d : Defs(r)) {
        Series se;
        se.name = DefTitle(d) + " (seed mean; whisker: per-seed range)";
        se.x = xs;
        for (const auto& v : sw.variants) {
          const CapacityRecord* cap = r.FindCapacity(setup, v);
          const CapacityEstimate* e = cap != nullptr ? cap->Find(d) : nullptr;
          se.y.push_back(e != nullptr ? e->mean.max_rate_rps : NAN);
          se.lo.push_back(e != nullptr ? e->min_rps : NAN);
          se.hi.push_back(e != nullptr ? e->max_rps : NAN);
        }
        series.push_back(std::move(se));
      }
      o += Figure(RenderLinePlot(p, series));
    }
    for (double m : s.load_multiples) {
      auto sweep_plot = [&](const std::string& title, const std::string& unit,
                            const std::vector<std::pair<std::string, MetricFn>>& metrics, bool fraction, bool log = false) {
        LinePlot p;
        p.title = title + " at " + Label(m) + "x";
        p.x_label = sw.knob;
        p.y_label = unit;
        p.y_log = log;
        p.x_categories = sw.values;
        if (fraction) {
          p.y_min = 0;
          p.y_max = 1;
          p.h_lines = {c.capacity.target};
        }
        std::vector<Series> series;
        for (const auto& [name, f] : metrics) {
          Series se;
          se.name = name;
          se.x = xs;
          for (const auto& v : sw.variants) {
            SeedStat st = OverSeeds(r, SpecFor(c, setup, v, m), f);
            se.y.push_back(st.mean);
            se.lo.push_back(st.min);
            se.hi.push_back(st.max);
          }
          series.push_back(std::move(se));
        }
        return Figure(RenderLinePlot(p, series));
      };
      o += sweep_plot("Attainment vs " + sw.knob, "fraction of requests (TBT: of gaps)", AttainmentMetrics(), true);
      o += sweep_plot("SLO goodput vs " + sw.knob, "SLO goodput (req/s)",
                      {{"SLO goodput", Metric("slo_goodput_rps")}}, false);
      o += sweep_plot("Tail latency vs " + sw.knob, "ms",
                      {{"p99 TTFT", Metric("p99_ttft_ms")},
                       {"p99 TBT", Metric("p99_tbt_ms")},
                       {"p99 longest stall", Metric("p99_longest_stall_ms")}},
                      false, true);
      o += sweep_plot("Preemptions vs " + sw.knob, "preemptions / 1000 requests",
                      {{"all", Metric("preemptions_per_1000")}}, false);
    }
    o += "</div>";
  }
  return o;
}

std::string AnatomyFigures(const ExperimentResults& r, int setup) {
  const ExperimentConfig& c = *r.config;
  const double m = c.anatomy.multiple;
  std::vector<std::pair<std::string, const Variant*>> rows;
  for (const auto& label : c.anatomy.policies) rows.push_back({label, c.FindPolicy(label)});
  auto per1000 = [](const char* name, double scale) -> MetricFn {
    MetricFn f = Metric(name);
    return [f, scale](const RunRecord& x) {
      return x.workload_requests > 0 ? 1000.0 * f(x) * scale / static_cast<double>(x.workload_requests) : NAN;
    };
  };
  std::string o = "<p class=\"cap\">At " + Label(m) + "x " + XmlEscape(c.reference) + "'s capacity (" +
                  Label(m * r.setups[setup].reference_rps) +
                  " req/s); means over seeds, whiskers min..max.</p><div class=\"figs\">";
  o += MetricBars(r, setup, "Preemptions by kind", "preemptions / 1000 requests", m, rows,
                  {{"recompute", Metric("recompute_preemptions_per_1000")},
                   {"swap", Metric("swap_preemptions_per_1000")}});
  o += MetricBars(r, setup, "Recomputed tokens", "recomputed tokens / 1000 requests", m, rows,
                  {{"recomputed tokens", per1000("recomputed_tokens", 1)}});
  o += MetricBars(r, setup, "Swapped bytes", "GiB swapped (out + in) / 1000 requests", m, rows,
                  {{"swapped", per1000("swapped_bytes", 1.0 / (1024.0 * 1024 * 1024))}});
  o += MetricBars(r, setup, "Worst-hit request", "most preemptions of one request", m, rows,
                  {{"max per request", Metric("max_preemptions_per_request")}});
  return o + "</div>";
}

std::string ScaleFigures(const ExperimentResults& r) {
  const ExperimentConfig& c = *r.config;
  const ScaleSpec& sc = c.scale;
  int setup = c.FindSetup(sc.setup);
  auto find = [&](const std::string& label, int64_t n, int64_t blocks) -> const RunRecord* {
    RunSpec spec = SpecFor(c, setup, *c.FindPolicy(label), sc.load_multiple);
    spec.seed = sc.seed;
    spec.requests = n;
    spec.kv_device_blocks = blocks;
    spec.timed = true;
    const RunRecord* run = r.FindRun(spec);
    return run != nullptr && run->ok() ? run : nullptr;
  };
  std::string o = "<p class=\"cap\">Setup " + XmlEscape(sc.setup) + " at " + Label(sc.load_multiple) + "x " +
                  XmlEscape(c.reference) + "'s capacity, seed " + std::to_string(sc.seed) +
                  "; each run alone on the machine (no other job beside it). Wall time of Simulate only "
                  "(workload built before). These timings are the one part of the report that differs "
                  "between runs.</p><div class=\"figs\">";
  // Wall time per policy over one swept quantity; `at(label, i)` is point i's
  // run (null when it failed) and `x(i, run)` its abscissa.
  auto wall_plot = [&](const char* title, const char* x_label, size_t points, auto at, auto x) {
    LinePlot p;
    p.title = title;
    p.x_label = x_label;
    p.y_label = "wall time (s)";
    p.x_log = p.y_log = true;
    std::vector<Series> series;
    for (const auto& label : sc.policies) {
      Series s;
      s.name = label;
      for (size_t i = 0; i < points; ++i) {
        const RunRecord* run = at(label, i);
        s.x.push_back(x(i, run));
        s.y.push_back(run != nullptr ? run->wall_s : NAN);
      }
      series.push_back(std::move(s));
    }
    o += Figure(RenderLinePlot(p, series));
  };
  wall_plot(
      "Simulation time vs requests", "requests per run", sc.requests.size(),
      [&](const std::string& label, size_t i) { return find(label, sc.requests[i], -1); },
      [&](size_t i, const RunRecord* run) {
        return run != nullptr ? static_cast<double>(run->workload_requests) : static_cast<double>(sc.requests[i]);
      });
  if (!sc.pool_blocks.empty()) {
    wall_plot(
        "Simulation time vs KV pool size", "device KV blocks", sc.pool_blocks.size(),
        [&](const std::string& label, size_t i) { return find(label, c.setups[setup].requests, sc.pool_blocks[i]); },
        [&](size_t i, const RunRecord*) { return static_cast<double>(sc.pool_blocks[i]); });
  }
  o += "</div><table><tr><th>policy</th><th>requests</th><th>device blocks</th><th>wall (s)</th><th>thread CPU "
       "(s)</th><th>steps</th><th>steps/s</th><th>requests/s simulated</th></tr>";
  auto row = [&](const std::string& label, const RunRecord* run, int64_t n, int64_t blocks) {
    o += "<tr><td>" + XmlEscape(label) + "</td><td>" + std::to_string(n) + "</td><td>" +
         (blocks > 0 ? std::to_string(blocks) : std::to_string(r.setups[setup].device_blocks)) + "</td>";
    if (run == nullptr) {
      o += "<td colspan=\"5\">failed</td></tr>";
      return;
    }
    double wall = std::max(run->wall_s, 1e-9);
    o += "<td>" + Label(run->wall_s) + "</td><td>" + Label(run->cpu_s) + "</td><td>" +
         std::to_string(run->sim.steps) + "</td><td>" + Label(static_cast<double>(run->sim.steps) / wall) +
         "</td><td>" + Label(static_cast<double>(run->workload_requests) / wall) + "</td></tr>";
  };
  for (const auto& label : sc.policies) {
    for (int64_t n : sc.requests) row(label, find(label, n, -1), n, -1);
    for (int64_t b : sc.pool_blocks) row(label, find(label, c.setups[setup].requests, b), c.setups[setup].requests, b);
  }
  return o + "</table>";
}

std::string SloScaleFigures(const ExperimentResults& r, int setup) {
  const ExperimentConfig& c = *r.config;
  const SloScaleSpec& s = c.slo_scale;
  static const std::vector<PlotMetric> kMetrics = {
      {"ttft_attainment", "TTFT attainment vs SLO scale", "fraction of requests", false, true},
      {"tbt_attainment", "TBT attainment (token) vs SLO scale", "fraction of token gaps", false, true},
      {"stall_attainment", "Stall-aware attainment vs SLO scale", "fraction of requests", false, true},
      {"slo_attainment", "Both SLOs vs SLO scale", "fraction of requests", false, true},
      {"slo_goodput_rps", "SLO goodput vs SLO scale", "SLO goodput (req/s)", false, false},
  };
  std::string o = "<p class=\"cap\">Every TTFT and TBT SLO multiplied by the SLO scale; rate fixed at " +
                  Label(s.load_multiple) + "x " + XmlEscape(c.reference) + "'s capacity at scale 1 (" +
                  Label(s.load_multiple * r.setups[setup].reference_rps) + " req/s).</p><div class=\"figs\">";
  bool x_log = true;
  for (double v : s.values) x_log = x_log && v > 0;
  for (const auto& pm : kMetrics) {
    LinePlot p;
    p.title = pm.title;
    p.x_label = "SLO scale (x the default SLOs)";
    p.y_label = pm.unit;
    p.x_log = x_log && s.values.size() > 1 &&
              *std::max_element(s.values.begin(), s.values.end()) / *std::min_element(s.values.begin(), s.values.end()) >= 4;
    if (pm.fraction) {
      p.y_min = 0;
      p.y_max = 1;
      p.h_lines = {c.capacity.target};
    }
    std::vector<Series> series;
    for (const auto& label : s.policies)
      series.push_back(SeedSeries(
          r, label, s.values, [&](double v) { return SpecFor(c, setup, *c.FindPolicy(label), s.load_multiple, v); },
          Metric(pm.metric)));
    o += Figure(RenderLinePlot(p, series));
  }
  return o + "</div>";
}

std::string OverloadFigures(const ExperimentResults& r, int setup) {
  const ExperimentConfig& c = *r.config;
  const OverloadSpec& ov = c.overload;
  const std::vector<PlotMetric> metrics = {{"slo_goodput_rps", "SLO goodput", "req/s", false, false},
                                           {"p99_ttft_ms", "p99 TTFT", "ms", true, false},
                                           {"p99_tbt_ms", "p99 TBT", "ms", true, false}};
  std::string o = "<div class=\"figs\">";
  for (const auto& pm : metrics) {
    LinePlot p;
    p.title = std::string(pm.title) + " vs load";
    p.x_label = "multiple of the policy's own stall-aware capacity";
    p.y_label = pm.unit;
    p.y_log = pm.log;
    p.v_lines = {1.0};
    std::vector<Series> series;
    for (const auto& label : ov.policies)
      series.push_back(SeedSeries(
          r, label, ov.multiples,
          [&](double m) { return SpecFor(c, setup, *c.FindPolicy(label), m, 1, RateBasis::kOwnStall); },
          Metric(pm.metric)));
    o += Figure(RenderLinePlot(p, series));
  }
  return o + "</div>";
}

}  // namespace cacheopt::experiment
