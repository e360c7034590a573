// The real-engine experiment's outputs: results.csv (one row per run),
// results.json (set-up and runs) and report.html (the simulated
// experiments' figures for the real server: tail latency, SLO attainment and
// preemptions against load, plus the simulator's fidelity table). The
// per-run benchmark results are in runs/, the server logs in logs/.
#pragma once

#include <string>

#include "cacheopt/status.h"
#include "real_sweep/real_config.h"
#include "real_sweep/real_results.h"

namespace cacheopt::realexp {

// Relative error of a prediction: (sim - real) / real; NaN when real is 0.
double RelativeError(double sim, double real);

std::string RealResultsCsv(const RealResults& r);
std::string RenderRealReport(const RealResults& r, const RealExperimentConfig& c);
Status WriteRealOutputs(const RealResults& r, const RealExperimentConfig& c, const std::string& out_dir);

}  // namespace cacheopt::realexp
