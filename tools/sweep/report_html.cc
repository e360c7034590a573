#include "sweep/report_html.h"

#include <cmath>

#include "sweep/ceilings.h"
#include "sweep/metrics.h"
#include "sweep/report_cluster.h"
#include "sweep/report_figures.h"
#include "render/svg.h"

namespace cacheopt::experiment {

const char* ReportCss() {
  static const char* kStyle = R"(
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:24px;color:#222;max-width:1800px}
h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ccc;padding-bottom:3px;margin-top:34px}
h3{font-size:15px;margin:22px 0 6px}h4{font-size:13px;margin:14px 0 4px}
table{border-collapse:collapse;font-size:12px;margin:8px 0}
td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}th{background:#f3f3f3}
td.l,th.l{text-align:left}
.figs{display:flex;flex-wrap:wrap;gap:10px}
figure{margin:0;border:1px solid #e3e3e3;padding:4px;background:#fff}
svg.plot{font-family:inherit;font-size:11px}
svg.plot .t{font-size:12px;font-weight:bold}
svg.plot .g{stroke:#e6e6e6;stroke-width:1}
svg.plot .f{fill:none;stroke:#444;stroke-width:1}
svg.plot .a{stroke:#444;stroke-width:1}
svg.plot .r{stroke:#888;stroke-width:1;stroke-dasharray:4 3}
svg.plot .w{stroke:#111;stroke-width:1;fill:none}
svg.plot .n{fill:#888}
svg.plot .v{font-size:10px;fill:#333}
.cap{font-size:12px;color:#555;margin:4px 0}
.warn{color:#a00;font-weight:bold}
.flag{color:#a00}
pre{background:#f7f7f7;padding:8px;font-size:11px;overflow:auto;max-height:480px}
)";
  return kStyle;
}

namespace {



std::string Esc(const std::string& s) { return XmlEscape(s); }

std::string StatText(const SeedStat& s, int digits_pct = -1) {
  if (s.n == 0) return "n/a";
  if (digits_pct >= 0) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.*f%%", digits_pct, 100 * s.mean);
    return buf;
  }
  return Label(s.mean);
}

std::string Anchor(const std::string& prefix, int setup) { return prefix + "-" + std::to_string(setup); }

// A per-setup section: a heading for each setup the experiment covers.
template <typename F>
std::string PerSetup(const ExperimentResults& r, const std::string& prefix, const std::vector<std::string>& setups,
                     F&& body) {
  std::string o;
  for (const auto& name : setups) {
    int s = r.config->FindSetup(name);
    o += "<h3 id=\"" + Anchor(prefix, s) + "\">" + Esc(name) + "</h3>" + body(s);
  }
  return o;
}

std::string NotConfigured(const std::string& key) {
  return "<p class=\"cap\">Not in this config (add a \"" + key + "\" section).</p>";
}

std::string Provenance(const ExperimentResults& r) {
  const ExperimentConfig& c = *r.config;
  std::string seeds;
  for (uint64_t s : c.seeds) seeds += (seeds.empty() ? "" : ", ") + std::to_string(s);
  std::string o = "<table>";
  auto row = [&](const std::string& k, const std::string& v) {
    o += "<tr><th class=\"l\">" + k + "</th><td class=\"l\">" + v + "</td></tr>";
  };
  row("command", "<code>" + Esc(r.command) + "</code>");
  row("config", Esc(c.name) + (c.description.empty() ? "" : ": " + Esc(c.description)));
  row("shared data", r.shared_dir.empty() ? "(none found)" : Esc(r.shared_dir));
  row("seeds", seeds);
  row("reference policy", Esc(c.reference) + " (every rate is a multiple of its token-level capacity)");
  row("capacity",
      "highest rate at which the mean over the seeds of TTFT attainment and of TBT attainment (token-level: "
      "<code>tbt_attainment</code>; stall-aware: <code>stall_attainment</code>) both stay &ge; " +
          Label(c.capacity.target) + "; geometric bisection over " + Label(c.capacity.lo_rps) + "&ndash;" +
          Label(c.capacity.hi_rps) + " req/s to " + Label(100 * c.capacity.rel_width) +
          "% (CACHEOPT.md). Shown as <b>seed mean [min..max]</b>: the seed-mean capacity, then the range "
          "of each seed's own capacity (the same search on that seed alone).");
  row("data", "<a href=\"results.csv\">results.csv</a> (one row per run), <a href=\"results.json\">results.json"
              "</a> (runs, capacities with probes, setups)");
  row("determinism", "no timestamps; the same config and data give the same bytes, except the scale "
                     "experiment's wall times");
  return o + "</table>";
}

std::string KvPressureTable(const ExperimentResults& r) {
  const ExperimentConfig& c = *r.config;
  std::string o =
      "<p class=\"cap\">" + Esc(c.reference) + " at " + Label(kPressureMultiples[0]) + "x and " +
      Label(kPressureMultiples[1]) + "x its own token-level capacity, means over seeds. A setup with fewer than " +
      Label(kContendedPreemptions) + " preemptions per 1000 requests at " + Label(kPressureMultiples[1]) +
      "x is flagged <span class=\"flag\">not KV-contended</span>: its pool rarely fills, so KV "
      "management shows little there.</p>";
  o += "<table><tr><th class=\"l\">setup</th><th>requests</th><th>KV pool (blocks &times; tokens)</th><th>host "
       "blocks</th><th>KV / token (KiB)</th><th>" +
       Esc(c.reference) + " capacity, token (req/s)</th><th>stall (req/s)</th><th>peak KV use " +
       Label(kPressureMultiples[0]) + "x</th><th>peak KV use " + Label(kPressureMultiples[1]) +
       "x</th><th>preemptions / 1000 " + Label(kPressureMultiples[0]) + "x</th><th>preemptions / 1000 " +
       Label(kPressureMultiples[1]) + "x</th><th class=\"l\">KV pressure</th></tr>";
  for (size_t s = 0; s < r.setups.size(); ++s) {
    const SetupRecord& rec = r.setups[s];
    KvPressure k = ComputeKvPressure(r, static_cast<int>(s));
    const CapacityRecord* ref = &r.capacities[s];
    o += "<tr><td class=\"l\">" + Esc(rec.spec.name) + "</td><td>" + std::to_string(rec.spec.requests) +
         "</td><td>" + std::to_string(rec.device_blocks) + " &times; " + std::to_string(rec.block_size) +
         "</td><td>" + std::to_string(rec.host_blocks) + "</td><td>" +
         Label(static_cast<double>(rec.kv_bytes_per_token) / 1024.0) + "</td><td>" +
         CapacityText(r, ref, CapacityDefinition::kToken) + "</td><td>" +
         CapacityText(r, ref, CapacityDefinition::kStall) + "</td><td>" + StatText(k.peak_kv_use[0], 1) +
         "</td><td>" + StatText(k.peak_kv_use[1], 1) + "</td><td>" + StatText(k.preemptions_per_1000[0]) +
         "</td><td>" + StatText(k.preemptions_per_1000[1]) + "</td><td class=\"l\">" +
         (!k.known ? "<span class=\"flag\">unknown</span>"
                   : k.contended ? "KV-contended" : "<span class=\"flag\">not KV-contended</span>") +
         "</td></tr>";
  }
  o += "</table>";
  // Notes per setup (trace, dropped rows, cost-model fallbacks).
  o += "<ul class=\"cap\">";
  for (const auto& rec : r.setups) {
    std::string notes = "trace " + Esc(rec.trace_source) + " (" + Esc(rec.trace_format) +
                        (rec.trace_timestamps ? ", timestamped" : ", lengths only") + "), " +
                        std::to_string(rec.rows_available) + " rows fit the context, " +
                        std::to_string(rec.dropped_over_context) + " dropped" +
                        (rec.clipped_to_context > 0
                             ? ", " + std::to_string(rec.clipped_to_context) + " prompts clipped to fit"
                             : "");
    for (const auto& n : rec.notes) notes += "; " + Esc(n);
    o += "<li><b>" + Esc(rec.spec.name) + "</b>: " + notes + "</li>";
  }
  return o + "</ul>";
}

std::string CapacityTable(const ExperimentResults& r) {
  const ExperimentConfig& c = *r.config;
  std::string o = "<table><tr><th class=\"l\">setup</th>";
  for (const auto& label : c.capacity.policies) o += "<th>" + Esc(label) + "</th>";
  o += "</tr>";
  for (const auto& name : c.capacity.setups) {
    int s = c.FindSetup(name);
    for (CapacityDefinition d : c.capacity.definitions) {
      o += "<tr><td class=\"l\">" + Esc(name) + " (" + DefinitionName(d) + ")</td>";
      for (const auto& label : c.capacity.policies)
        o += "<td>" + CapacityText(r, r.FindCapacity(s, *c.FindPolicy(label)), d) + "</td>";
      o += "</tr>";
    }
  }
  return o + "</table><p class=\"cap\">req/s: seed mean [per-seed min..max].</p>";
}

// Each policy's capacity as a fraction of the setup's KV-free ceiling, and
// the setup's headroom (ceiling / best baseline).
std::string CeilingsTable(const ExperimentResults& r) {
  const ExperimentConfig& c = *r.config;
  std::string o = "<table><tr><th class=\"l\">setup</th><th>KV-free ceiling (req/s)</th><th>best baseline "
                  "(req/s)</th><th>headroom</th>";
  for (const auto& label : c.capacity.policies) o += "<th>" + Esc(label) + "</th>";
  for (const auto& v : c.ceilings.oracles) o += "<th>" + Esc(v.label) + "</th>";
  o += "</tr>";
  auto frac = [](double x) { return std::isfinite(x) ? Label(x) : std::string("n/a"); };
  for (const auto& name : c.capacity.setups) {
    const int s = c.FindSetup(name);
    for (CapacityDefinition d : c.capacity.definitions) {
      const SetupCeiling sc = ComputeCeiling(r, s, d);
      o += "<tr><td class=\"l\">" + Esc(name) + " (" + DefinitionName(d) + ")</td><td>" +
           (sc.ceiling_rps > 0 ? Label(sc.ceiling_rps) + " (" + Esc(sc.ceiling_label) + ")" : "n/a") + "</td><td>" +
           (sc.best_baseline_rps > 0 ? Label(sc.best_baseline_rps) + " (" + Esc(sc.best_baseline_label) + ")"
                                     : "n/a") +
           "</td><td>" + (sc.headroom > 0 ? Label(sc.headroom) + "x" : "n/a") + "</td>";
      for (double x : sc.fraction) o += "<td>" + frac(x) + "</td>";
      for (double x : sc.oracle_fraction) o += "<td>" + frac(x) + "</td>";
      o += "</tr>";
    }
  }
  return o + "</table><p class=\"cap\">Capacity / KV-free ceiling, seed means. The ceiling is the best capacity of "
             "any policy with " + std::to_string(c.ceilings.kv_device_blocks) +
         " device blocks (effectively unbounded); headroom = ceiling / best baseline on the setup's own pool. "
         "Neither ceiling is attainable: docs/experiments.md, \"Ceilings\".</p>";
}

std::string Failures(const ExperimentResults& r) {
  auto f = r.Failures();
  if (f.empty()) return "";
  std::string o = "<h2 id=\"failures\">Failures</h2><ul class=\"warn\">";
  for (const auto& x : f) o += "<li>" + Esc(x) + "</li>";
  return o + "</ul>";
}

}  // namespace

std::string RenderReport(const ExperimentResults& r) {
  const ExperimentConfig& c = *r.config;
  std::string o = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>cacheopt experiment " +
                  Esc(c.name) + "</title><style>" + ReportCss() + "</style></head><body>\n";
  o += "<h1>cacheopt experiment: " + Esc(c.name) + "</h1>\n";
  if (!c.description.empty()) o += "<p>" + Esc(c.description) + "</p>\n";
  o += Provenance(r) + "\n";
  o += "<p class=\"cap\">Contents: <a href=\"#kv\">setups and KV pressure</a> &middot; <a href=\"#e1\">1 tail "
       "latency</a> &middot; <a href=\"#e2\">2 attainment</a> &middot; <a href=\"#e3\">3 capacity</a> &middot; "
       "<a href=\"#e4\">4 ablation</a> &middot; <a href=\"#e5\">5 sensitivity</a> &middot; <a href=\"#e6\">6 "
       "preemption anatomy</a> &middot; <a href=\"#e7\">7 scale</a> &middot; <a href=\"#e8\">8 SLO scale</a> "
       "&middot; <a href=\"#config\">config</a></p>\n";
  o += Failures(r);
  o += "<h2 id=\"kv\">Setups and KV pressure</h2>\n" + KvPressureTable(r) + "\n";

  o += "<h2 id=\"e1\">1. Tail latency vs load</h2>\n";
  o += c.load_curves.enabled ? PerSetup(r, "e1", c.load_curves.setups,
                                        [&](int s) { return LoadCurveFigures(r, s); })
                             : NotConfigured("load_curves");
  o += "\n<h2 id=\"e2\">2. SLO attainment vs load</h2>\n";
  o += c.load_curves.enabled ? PerSetup(r, "e2", c.load_curves.setups,
                                        [&](int s) { return AttainmentFigures(r, s); })
                             : NotConfigured("load_curves");
  o += "\n<h2 id=\"e3\">3. Capacity</h2>\n";
  o += c.capacity.enabled ? CapacityTable(r) + PerSetup(r, "e3", c.capacity.setups,
                                                         [&](int s) { return CapacityFigure(r, s); })
                          : NotConfigured("capacity");
  if (c.ceilings.enabled) o += "<h3 id=\"ceilings\">Ceilings</h3>\n" + CeilingsTable(r);
  o += "\n<h2 id=\"e4\">4. Ablation</h2>\n";
  if (c.ablation.enabled) {
    o += "<p class=\"cap\">" + Esc(c.ablation.base) + " with one mechanism switched off at a time:";
    for (size_t i = 0; i < c.ablation.variants.size(); ++i)
      o += (i ? "; " : " ") + Esc(c.ablation.names[i]) + " = <code>" + Esc(c.ablation.variants[i].KnobText()) +
           "</code>";
    o += ".</p>" + PerSetup(r, "e4", c.ablation.setups, [&](int s) { return AblationFigures(r, s); });
  } else {
    o += NotConfigured("ablation");
  }
  o += "\n<h2 id=\"e5\">5. Sensitivity</h2>\n";
  o += c.sensitivity.enabled ? "<p class=\"cap\">" + Esc(c.sensitivity.base) +
                                   " with one knob swept at a time, the others at the base's values.</p>" +
                                   PerSetup(r, "e5", c.sensitivity.setups,
                                            [&](int s) { return SensitivityFigures(r, s); })
                             : NotConfigured("sensitivity");
  o += "\n<h2 id=\"e6\">6. Preemption anatomy</h2>\n";
  o += c.anatomy.enabled ? PerSetup(r, "e6", c.anatomy.setups, [&](int s) { return AnatomyFigures(r, s); })
                         : NotConfigured("anatomy");
  o += "\n<h2 id=\"e7\">7. Scale</h2>\n";
  o += c.scale.enabled ? ScaleFigures(r) : NotConfigured("scale");
  o += "\n<h2 id=\"e8\">8. SLO scale</h2>\n";
  o += c.slo_scale.enabled ? PerSetup(r, "e8", c.slo_scale.setups, [&](int s) { return SloScaleFigures(r, s); })
                           : NotConfigured("slo_scale");
  if (c.overload.enabled) {
    o += "\n<h2 id=\"overload\">Overload</h2>\n<p class=\"cap\">Every policy at multiples of its own stall-aware "
         "capacity (dashed line: 1x).</p>\n";
    o += PerSetup(r, "overload", c.overload.setups, [&](int s) { return OverloadFigures(r, s); });
  }
  o += ClusterSection(r);
  o += "\n<h2 id=\"config\">Config</h2>\n<pre>" + Esc(c.raw.dump(2)) + "</pre>\n";
  o += "</body></html>\n";
  return o;
}

}  // namespace cacheopt::experiment
