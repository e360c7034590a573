// The figures of report.html, one function per experiment of EVALUATION.md;
// each returns HTML (headings, inline SVG figures, small tables) for one
// setup. Values are means over seeds; whiskers span min..max over seeds.
#pragma once

#include <string>

#include "sweep/results.h"

namespace cacheopt::experiment {

std::string LoadCurveFigures(const ExperimentResults& r, int setup);   // 1: tail latency vs load
std::string AttainmentFigures(const ExperimentResults& r, int setup);  // 2: SLO attainment vs load
std::string CapacityFigure(const ExperimentResults& r, int setup);     // 3: capacity bars
std::string AblationFigures(const ExperimentResults& r, int setup);    // 4
std::string SensitivityFigures(const ExperimentResults& r, int setup); // 5
std::string AnatomyFigures(const ExperimentResults& r, int setup);     // 6
std::string ScaleFigures(const ExperimentResults& r);                  // 7
std::string SloScaleFigures(const ExperimentResults& r, int setup);    // 8
std::string OverloadFigures(const ExperimentResults& r, int setup);    // goodput and tails to 2x own capacity

// "2.84 [2.71..2.95]" (seed mean [per-seed range]), with "<lo" / ">=hi" when
// the search hit an end of its range; "n/a" when there is none.
std::string CapacityText(const ExperimentResults& r, const CapacityRecord* cap, CapacityDefinition d);

}  // namespace cacheopt::experiment
