// The host-side per-step overhead, fitted on Vidur's measured CPU overheads
// (legacy_7f14d6a/a100/cpu_overheads.csv).
#pragma once

#include <string>

#include "cacheopt/cost/operator_tables.h"
#include "cacheopt/status.h"

namespace cacheopt {

struct OverheadFit {
  OverheadCoeffs coeffs;
  int rows = 0;
  bool model_rows = false;  // fitted on the model's own rows (else all rows)
};

// Per row: schedule + sampler_e2e + prepare_inputs_e2e + process_model_outputs
// (medians, ms) = step + per_seq * batch_size, least squares over the rows of
// `profile_model_name` when it has at least 3, else over every row.
// ray_comm_time is left out: it is the Ray hop of Vidur's Sarathi harness,
// and the Splitwise decode rows leave no room for its 6 ms (docs/cost-model.md).
Result<OverheadFit> FitCpuOverhead(const std::string& path, const std::string& profile_model_name);

}  // namespace cacheopt
