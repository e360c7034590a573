// report.html: one self-contained page (inline CSS and SVG, no scripts, no
// external resources) with the config, provenance, every setup's KV
// pressure, and the figures of EVALUATION.md's experiments 1-8. No
// timestamps: the same results give the same bytes.
#pragma once

#include <string>

#include "sweep/results.h"

namespace cacheopt::experiment {

std::string RenderReport(const ExperimentResults& r);
// The page's stylesheet (shared with the real-engine report).
const char* ReportCss();

}  // namespace cacheopt::experiment
