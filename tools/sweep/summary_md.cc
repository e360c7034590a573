#include "sweep/summary_md.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "sweep/ceilings.h"
#include "sweep/metrics.h"

namespace cacheopt::experiment {
namespace {

std::string Fixed(double v, int digits) {
  if (!std::isfinite(v)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

// A Markdown table's head: the fixed columns, then one per label.
std::string Head(const std::vector<std::string>& fixed, const std::vector<std::string>& labels) {
  std::string names = "|", rule = "|";
  for (const auto& x : fixed) names += " " + x + " |";
  for (const auto& x : labels) names += " " + x + " |";
  for (size_t i = 0; i < fixed.size() + labels.size(); ++i) rule += "---|";
  return names + "\n" + rule + "\n";
}

double Mean(const ExperimentResults& r, int setup, const Variant& v, double multiple, RateBasis basis,
            const char* metric) {
  const MetricDef* m = FindMetric(metric);
  return OverSeeds(r, SpecFor(*r.config, setup, v, multiple, 1, basis), m->get).mean;
}

// Per setup: each policy's SLO goodput at the largest overload multiple as a
// fraction of its peak goodput over the multiples, and its p99 TTFT there.
std::string OverloadTable(const ExperimentResults& r) {
  const ExperimentConfig& c = *r.config;
  const OverloadSpec& ov = c.overload;
  const double top = *std::max_element(ov.multiples.begin(), ov.multiples.end());
  std::string o = "### Overload: SLO goodput at " + Fixed(top, 2) +
                  "x each policy's own stall-aware capacity / its peak goodput\n\n" +
                  Head({"setup"}, ov.policies);
  for (const auto& name : ov.setups) {
    const int s = c.FindSetup(name);
    o += "| " + name + " |";
    for (const auto& label : ov.policies) {
      const Variant& v = *c.FindPolicy(label);
      double peak = NAN;
      for (double m : ov.multiples) {
        const double g = Mean(r, s, v, m, RateBasis::kOwnStall, "slo_goodput_rps");
        if (std::isfinite(g)) peak = std::isfinite(peak) ? std::max(peak, g) : g;
      }
      const double at_top = Mean(r, s, v, top, RateBasis::kOwnStall, "slo_goodput_rps");
      o += " " + (peak > 0 ? Fixed(at_top / peak, 2) : std::string("n/a")) + " |";
    }
    o += "\n";
  }
  return o + "\n";
}

// Per setup, at the best baseline's stall-aware capacity: p99 TTFT, p99 TBT
// and preemptions per 1000 requests of every policy.
std::string EqualLoadTable(const ExperimentResults& r) {
  const ExperimentConfig& c = *r.config;
  const EqualLoadSpec& el = c.equal_load;
  std::string o = "### Tails at equal load (the best baseline's stall-aware capacity): p99 TTFT s / p99 TBT ms / "
                  "preemptions per 1000\n\n" + Head({"setup"}, el.policies);
  for (const auto& name : el.setups) {
    const int s = c.FindSetup(name);
    o += "| " + name + " |";
    for (const auto& label : el.policies) {
      const Variant& v = *c.FindPolicy(label);
      o += " " + Fixed(Mean(r, s, v, 1, RateBasis::kBestBaseline, "p99_ttft_ms") / 1000, 2) + " / " +
           Fixed(Mean(r, s, v, 1, RateBasis::kBestBaseline, "p99_tbt_ms"), 0) + " / " +
           Fixed(Mean(r, s, v, 1, RateBasis::kBestBaseline, "preemptions_per_1000"), 0) + " |";
    }
    o += "\n";
  }
  return o + "\n";
}

}  // namespace

std::string RenderSummaryMarkdown(const ExperimentResults& r) {
  const ExperimentConfig& c = *r.config;
  if (!c.ceilings.enabled) return "";
  std::string o;
  for (CapacityDefinition d : c.capacity.definitions) {
    o += "### " + std::string(d == CapacityDefinition::kStall ? "Stall-aware" : "Token-level") +
         " capacity (req/s, seed means)\n\n";
    std::vector<std::string> labels = c.capacity.policies;
    for (const auto& v : c.ceilings.oracles) labels.push_back(v.label);
    o += Head({"setup", "KV-free ceiling", "best baseline", "headroom", "cacheopt", "vs best baseline"}, labels);
    int losses = 0, rows = 0;
    for (const auto& name : c.capacity.setups) {
      const int s = c.FindSetup(name);
      const SetupCeiling sc = ComputeCeiling(r, s, d);
      const double co = sc.best_cacheopt_rps;
      const double vs = sc.best_baseline_rps > 0 ? co / sc.best_baseline_rps : NAN;
      ++rows;
      losses += std::isfinite(vs) && vs < 0.97;
      o += "| " + name + " | " + Fixed(sc.ceiling_rps, 3) + " | " + Fixed(sc.best_baseline_rps, 3) + " (" +
           sc.best_baseline_label + ") | " + (sc.headroom > 0 ? Fixed(sc.headroom, 2) + "x" : std::string("n/a")) + " | " + Fixed(co, 3) + " | " +
           (std::isfinite(vs) ? Fixed(vs, 2) + "x" : std::string("n/a")) + " |";
      for (double x : sc.fraction) o += " " + Fixed(x, 2) + " |";
      for (double x : sc.oracle_fraction) o += " " + Fixed(x, 2) + " |";
      o += "\n";
    }
    o += "\nPolicy columns: capacity / KV-free ceiling. Setups where cacheopt is below 0.97x the best baseline: " +
         std::to_string(losses) + " of " + std::to_string(rows) + ".\n\n";
  }
  if (c.overload.enabled) o += OverloadTable(r);
  if (c.equal_load.enabled) o += EqualLoadTable(r);
  return o;
}

}  // namespace cacheopt::experiment
