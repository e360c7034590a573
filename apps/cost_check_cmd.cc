#include <iostream>

#include "commands.h"
#include "cost_check/cost_check.h"
#include "sim/shared_dir.h"

namespace cacheopt {

int RunCostCheck() {
  std::string shared = FindSharedDir();
  if (shared.empty())
    return BadInput(Status::NotFound("cost-check needs the shared data (../shared/data/splitwise_sim_perf_model "
                                     "and vidur_profiling); put the shared folder beside the project or set "
                                     "CACHEOPT_SHARED"));
  auto report = cacheopt::RunCostCheck(shared + "/data");
  if (!report.ok()) return BadInput(report.status());
  std::cout << FormatCostCheck(*report);
  return 0;
}

}  // namespace cacheopt
