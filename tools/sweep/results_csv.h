// results.csv: one row per simulation run (capacity-search probes excluded;
// results.json has those), every metric of RunMetrics() as a column.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "sweep/results.h"

namespace cacheopt::experiment {

// The identifying columns, before the metric columns.
const std::vector<std::string>& CsvKeyColumns();
void WriteResultsCsv(std::ostream& os, const ExperimentResults& r);
// RFC 4180 quoting when needed (comma, quote, CR or LF).
std::string CsvField(const std::string& s);
// Shortest text that reads back to the same double; integers without ".0";
// NaN and infinities as empty fields.
std::string NumberText(double v);

}  // namespace cacheopt::experiment
