// summary.svg: the headline in one standalone picture (the README's plot).
// Stall-aware capacity of every policy relative to the reference policy's,
// one group per setup; seed means.
#pragma once

#include <string>

#include "sweep/results.h"

namespace cacheopt::experiment {

std::string RenderSummarySvg(const ExperimentResults& r);

}  // namespace cacheopt::experiment
