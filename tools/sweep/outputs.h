// Writes an experiment's three files into a folder (created if missing):
// results.csv, results.json and report.html.
#pragma once

#include <string>

#include "cacheopt/status.h"
#include "sweep/results.h"

namespace cacheopt::experiment {

Status WriteExperimentOutputs(const ExperimentResults& r, const std::string& out_dir);

}  // namespace cacheopt::experiment
