// The soak's report: a summary that is a pure function of the options (the
// same seed prints the same bytes), and the wall-clock figures apart.
#pragma once

#include <ostream>

#include "soak/soak_runner.h"

namespace cacheopt::soak {

// What ran, per policy and variant, the coverage of the draws, every kept
// violation with its replay command, and PASS/FAIL. Deterministic.
void PrintSummary(std::ostream& os, const SoakSummary& s);

// Wall time, and the time in engine steps and in the invariant checks by
// pool size (not deterministic).
void PrintTiming(std::ostream& os, const SoakSummary& s);

}  // namespace cacheopt::soak
