#include "sweep/report_cluster.h"

#include <cmath>
#include <cstdio>
#include <map>

#include "render/svg.h"
#include "render/svg_bar_chart.h"
#include "sweep/metrics.h"

namespace cacheopt::experiment {
namespace {

std::string Num(double v, const char* fmt = "%.3g") {
  if (!std::isfinite(v)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

// The one-engine setup a cluster setup scales: everything equal but the
// replicas, router, request count and name.
int BaseOf(const ExperimentConfig& c, int s) {
  const SetupSpec& a = c.setups[s];
  for (size_t i = 0; i < c.setups.size(); ++i) {
    const SetupSpec& b = c.setups[i];
    if (!b.router.empty() || b.replicas != 1) continue;
    if (a.model == b.model && a.gpu == b.gpu && a.tp == b.tp && a.trace == b.trace && a.arrival == b.arrival &&
        a.arrival_cv == b.arrival_cv && a.kv_device_blocks == b.kv_device_blocks && a.block_size == b.block_size &&
        a.over_context == b.over_context && a.slo_scale == b.slo_scale && a.host_kv_gib == b.host_kv_gib &&
        a.preemption_mode == b.preemption_mode && a.max_tokens_cap == b.max_tokens_cap)
      return static_cast<int>(i);
  }
  return -1;
}

double StallCapacity(const ExperimentResults& r, int setup, const Variant& v) {
  const CapacityRecord* cap = r.FindCapacity(setup, v);
  if (cap == nullptr || !cap->status.ok()) return NAN;
  const CapacityEstimate* e = cap->Find(CapacityDefinition::kStall);
  if (e == nullptr || e->mean.below_range) return NAN;
  return e->mean.max_rate_rps;
}

double Rate(int64_t hit, int64_t query) { return query > 0 ? static_cast<double>(hit) / query : NAN; }

}  // namespace

std::string ClusterSection(const ExperimentResults& r) {
  const ExperimentConfig& c = *r.config;
  std::vector<int> clusters;
  for (size_t s = 0; s < c.setups.size(); ++s)
    if (!c.setups[s].router.empty()) clusters.push_back(static_cast<int>(s));
  if (clusters.empty()) return "";

  std::string o = "\n<h2 id=\"cluster\">Cluster</h2>\n<p class=\"cap\">Replicas behind a router "
                  "(docs/cluster-sim.md). <b>x one</b>: the cluster's stall-aware capacity (seed mean) over one "
                  "replica's on the same setup; <b>per replica</b>: that over the replica count.</p>\n";
  // Capacity ratios: a table, and per base setup and replica count a chart
  // (a group per router, a bar per policy).
  o += "<table><tr><th>setup</th><th>replicas</th><th>router</th><th>policy</th><th>stall capacity (req/s)</th>"
       "<th>one replica</th><th>x one</th><th>per replica</th></tr>\n";
  std::map<std::pair<int, int>, std::vector<BarGroup>> charts;  // (base, replicas) -> groups
  for (int s : clusters) {
    const SetupSpec& spec = c.setups[s];
    const int base = BaseOf(c, s);
    BarGroup g;
    g.label = spec.router;
    for (const Variant& v : c.policies) {
      const double cap = StallCapacity(r, s, v);
      const double one = base >= 0 ? StallCapacity(r, base, v) : NAN;
      if (!std::isfinite(cap) && !std::isfinite(one) && r.FindCapacity(s, v) == nullptr) continue;
      const double ratio = cap / one;
      g.values.push_back(ratio);
      o += "<tr><td>" + XmlEscape(spec.name) + "</td><td>" + std::to_string(spec.replicas) + "</td><td>" +
           XmlEscape(spec.router) + "</td><td>" + XmlEscape(v.label) + "</td><td>" + Num(cap) + "</td><td>" +
           Num(one) + "</td><td>" + Num(ratio, "%.2f") + "</td><td>" + Num(ratio / spec.replicas, "%.2f") +
           "</td></tr>\n";
    }
    if (base >= 0) charts[{base, spec.replicas}].push_back(g);
  }
  o += "</table>\n<div class=\"figs\">";
  for (const auto& [key, groups] : charts) {
    BarChart chart;
    chart.title = c.setups[key.first].name + ": " + std::to_string(key.second) + " replicas";
    chart.value_label = "stall-aware capacity / one replica's";
    for (const Variant& v : c.policies)
      if (r.FindCapacity(clusters[0], v) != nullptr || r.FindCapacity(key.first, v) != nullptr)
        chart.series.push_back(v.label);
    bool complete = true;
    for (const BarGroup& g : groups) complete = complete && g.values.size() == chart.series.size();
    if (complete) o += RenderBarChart(chart, groups);
  }
  o += "</div>\n";

  // Prefix hits at each load multiple of the load curves: what the engines
  // got and what the router predicted (blocks it believed cached where it sent).
  if (c.load_curves.enabled) {
    o += "<h3>Prefix hits</h3><p class=\"cap\">Means over seeds at each setup's load multiples (x its reference "
         "policy's token-level capacity). <b>hit</b>: prompt tokens found cached / looked up; <b>blocks</b>: full "
         "blocks hit / queryable; <b>router predicted</b>: blocks the router expected the replica it picked to "
         "hold / queryable blocks.</p>\n<table><tr><th>setup</th><th>policy</th><th>load</th><th>rate (req/s)"
         "</th><th>hit (tokens)</th><th>hit (blocks)</th><th>router predicted</th><th>p99 TTFT (ms)</th>"
         "<th>p99 TBT (ms)</th></tr>\n";
    for (int s : clusters) {
      for (const Variant& v : c.policies) {
        for (double m : c.load_curves.multiples) {
          const RunSpec spec = SpecFor(c, s, v, m);
          const SeedStat hit = OverSeeds(r, spec, [](const RunRecord& x) {
            return Rate(x.sim.counters.prefix_hit_tokens, x.sim.counters.prefix_query_tokens);
          });
          if (hit.n == 0) continue;
          const SeedStat blocks = OverSeeds(r, spec, [](const RunRecord& x) {
            return Rate(x.sim.counters.prefix_hit_blocks, x.sim.counters.prefix_query_blocks);
          });
          const SeedStat predicted = OverSeeds(r, spec, [](const RunRecord& x) {
            return Rate(x.sim.router_predicted_hit_blocks, x.sim.counters.prefix_query_blocks);
          });
          const SeedStat ttft = OverSeeds(r, spec, [](const RunRecord& x) { return x.sim.summary.p99_ttft_ms; });
          const SeedStat tbt = OverSeeds(r, spec, [](const RunRecord& x) { return x.sim.summary.p99_tbt_ms; });
          o += "<tr><td>" + XmlEscape(c.setups[s].name) + "</td><td>" + XmlEscape(v.label) + "</td><td>" +
               Num(m) + "x</td><td>" + Num(hit.rate_rps) + "</td><td>" + Num(hit.mean, "%.3f") + "</td><td>" +
               Num(blocks.mean, "%.3f") + "</td><td>" + Num(predicted.mean, "%.3f") + "</td><td>" +
               Num(ttft.mean, "%.0f") + "</td><td>" + Num(tbt.mean, "%.0f") + "</td></tr>\n";
        }
      }
    }
    o += "</table>\n";
  }
  return o;
}

}  // namespace cacheopt::experiment
