// summary.md: the robustness table in Markdown, for the README (issue 13):
// per setup and capacity definition, the KV-free ceiling, the best baseline,
// the headroom, cacheopt against the best baseline, and every policy as a
// fraction of the ceiling; then the overload and equal-load tables when
// configured. Empty when the config has no `ceilings`.
#pragma once

#include <string>

#include "sweep/results.h"

namespace cacheopt::experiment {

std::string RenderSummaryMarkdown(const ExperimentResults& r);

}  // namespace cacheopt::experiment
