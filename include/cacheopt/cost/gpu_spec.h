// Datasheet figures of the GPUs the simulator can price, and where their
// profiled operator tables live. Every constant's source is in docs/cost-model.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cacheopt/status.h"

namespace cacheopt {

struct GpuSpec {
  std::string name;                  // registry key, e.g. "a100-80g"
  int64_t memory_bytes = 0;          // device memory as the driver reports it
  double hbm_bytes_per_s = 0;        // datasheet HBM bandwidth
  double dense_flops = 0;            // datasheet dense bf16/fp16 tensor FLOP/s
  double host_link_bytes_per_s = 0;  // achievable one-way host<->device copy bandwidth
  double host_copy_latency_s = 0;    // fixed cost of one cudaMemcpyAsync
  double nvlink_bytes_per_s = 0;     // one-way GPU<->GPU bandwidth (analytic all-reduce)
  std::string profile_folder;        // Vidur compute/<folder>: "a100" | "h100"
  std::string network_folder;        // Vidur network/<folder> for TP all-reduce
  // How much slower memory-bound work runs here than on the part the
  // profile tables were measured on (1 = that part).
  double memory_slowdown_vs_profile = 1.0;
};

// Looks up a GPU by registry name; unknown names list the valid ones.
Result<GpuSpec> FindGpu(std::string_view name);
std::vector<std::string> GpuNames();

}  // namespace cacheopt
