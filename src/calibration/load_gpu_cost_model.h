// Assembles a GpuCostModel from Vidur's profile tables in the shared data
// folder, part by part, falling back to the analytic tables for any part
// whose file is absent (and saying so). Malformed files are errors.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cacheopt/cost/gpu_cost_model.h"
#include "cacheopt/status.h"

namespace cacheopt {

struct GpuCostModelOptions {
  std::string model = "llama-2-7b";  // a name from ModelNames()
  std::string gpu = "a100-80g";      // a name from GpuNames()
  int tp = 1;                        // tensor-parallel degree
  // The shared `data` folder (the one holding vidur_profiling/); the caller
  // resolves the default. Empty: no profiles, every part analytic.
  std::string data_dir;
  // false: a missing profile file is a NotFound error instead of a fallback.
  bool allow_fallback = true;
  int32_t kv_cache_bytes = 2;  // ModelSpec::kv_cache_bytes: 2 (fp16), 1 (fp8)
};

// What the tables were built from.
struct CostModelProvenance {
  bool analytic_fallback = false;  // some part came from datasheets, not profiles
  std::vector<std::string> files;  // profile files read
  std::string note;                // one line per part: source, or why it fell back
  int32_t attention_profiled_context = 0;  // longest context the attention profile measured; 0: none
};

// The tables alone (for tests and the Splitwise check).
Result<OperatorTables> LoadOperatorTables(const GpuCostModelOptions& options,
                                          CostModelProvenance* provenance = nullptr);

Result<std::unique_ptr<GpuCostModel>> LoadGpuCostModel(const GpuCostModelOptions& options,
                                                       CostModelProvenance* provenance = nullptr);

}  // namespace cacheopt
