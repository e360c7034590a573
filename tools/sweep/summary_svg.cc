#include "sweep/summary_svg.h"

#include <cmath>

#include "sweep/ceilings.h"
#include "render/svg.h"
#include "render/svg_bar_chart.h"

namespace cacheopt::experiment {
namespace {

// report.html styles its plots with CSS; a standalone file carries its own.
const char* kSvgStyle =
    "<style>svg.plot{font-family:Helvetica,Arial,sans-serif;font-size:11px;background:#fff}"
    ".t{font-size:12px;font-weight:bold}.g{stroke:#e6e6e6;stroke-width:1}.f{fill:none;stroke:#444;stroke-width:1}"
    ".a{stroke:#444;stroke-width:1}.r{stroke:#888;stroke-width:1;stroke-dasharray:4 3}"
    ".w{stroke:#111;stroke-width:1;fill:none}.n{fill:#888}.v{font-size:10px;fill:#333}</style>";

double StallCapacity(const ExperimentResults& r, int setup, const Variant* v) {
  if (v == nullptr) return NAN;
  const CapacityRecord* cap = r.FindCapacity(setup, *v);
  const CapacityEstimate* e = cap != nullptr ? cap->Find(CapacityDefinition::kStall) : nullptr;
  return e != nullptr ? e->mean.max_rate_rps : NAN;
}

}  // namespace

std::string RenderSummarySvg(const ExperimentResults& r) {
  const ExperimentConfig& c = *r.config;
  const Variant* ref = c.FindPolicy(c.reference);
  BarChart chart;
  if (c.ceilings.enabled) {
    // Every policy against what no KV scheduler can exceed; headroom per setup.
    chart.title = "Stall-aware capacity as a fraction of the KV-free ceiling (" + c.name + " experiment)";
    chart.value_label = "capacity / KV-free ceiling (seed means)";
    chart.series = c.capacity.policies;
    for (const auto& v : c.ceilings.oracles) chart.series.push_back(v.label);
    chart.width = 640;
    std::vector<BarGroup> groups;
    for (const auto& name : c.capacity.setups) {
      const int s = c.FindSetup(name);
      const SetupCeiling sc = ComputeCeiling(r, s, CapacityDefinition::kStall);
      BarGroup g;
      g.label = name + (sc.headroom > 0 ? " (headroom " + Label(sc.headroom) + "x)" : "");
      g.values = sc.fraction;
      g.values.insert(g.values.end(), sc.oracle_fraction.begin(), sc.oracle_fraction.end());
      g.notes.assign(g.values.size(), sc.ceiling_rps > 0 ? "" : "(no ceiling)");
      groups.push_back(std::move(g));
    }
    std::string svg = RenderBarChart(chart, groups);
    size_t open_end = svg.find('>');
    if (open_end != std::string::npos) svg.insert(open_end + 1, kSvgStyle);
    return svg;
  }
  chart.title = "Stall-aware capacity relative to " + c.reference + " (" + c.name + " experiment)";
  chart.value_label = "capacity / " + c.reference + "'s (seed means)";
  chart.series = c.capacity.policies;
  chart.width = 640;
  std::vector<BarGroup> groups;
  for (size_t s = 0; s < c.setups.size(); ++s) {
    BarGroup g;
    g.label = c.setups[s].name;
    const double base = StallCapacity(r, static_cast<int>(s), ref);
    for (const auto& label : c.capacity.policies) {
      double v = StallCapacity(r, static_cast<int>(s), c.FindPolicy(label));
      g.values.push_back(base > 0 && std::isfinite(v) ? v / base : NAN);
      g.notes.push_back(base > 0 ? "" : "(" + c.reference + " below range)");
    }
    groups.push_back(std::move(g));
  }
  std::string svg = RenderBarChart(chart, groups);
  // Insert the style right after the opening tag.
  size_t open_end = svg.find('>');
  if (open_end != std::string::npos) svg.insert(open_end + 1, kSvgStyle);
  return svg;
}

}  // namespace cacheopt::experiment
