// Printing and serialising simulation results.
#pragma once

#include <nlohmann/json.hpp>

#include <ostream>
#include <string>
#include <vector>

#include "sim/simulator.h"

namespace cacheopt {

nlohmann::ordered_json ResultJson(const SimulationResult& r);
// A readable block for one run.
void PrintResult(std::ostream& os, const std::string& title, const SimulationResult& r);
// Several runs side by side, one column each.
void PrintComparison(std::ostream& os, const std::vector<std::string>& names,
                     const std::vector<SimulationResult>& results);
// Writes `j` (pretty) to `path`; false on I/O failure.
bool WriteJsonFile(const std::string& path, const nlohmann::ordered_json& j);

}  // namespace cacheopt
