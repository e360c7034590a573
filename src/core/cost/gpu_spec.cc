#include "cacheopt/cost/gpu_spec.h"
#include "cacheopt/util/names.h"

#include <array>

namespace cacheopt {
namespace {

constexpr int64_t kMiB = 1024 * 1024;

// Vidur's A100 tables were most likely taken on A100-80GB PCIe (1.94 TB/s);
// the 40 GB part streams memory at 1.56 TB/s.
constexpr double kA100ProfileHbm = 1.94e12;
constexpr double kA100_40Hbm = 1.555e12;

const std::array<GpuSpec, 3>& Registry() {
  static const std::array<GpuSpec, 3> kGpus = {{
      {"a100-40g", 40960 * kMiB, kA100_40Hbm, 312e12, 25e9, 5e-6, 300e9, "a100", "a100_dgx",
       kA100ProfileHbm / kA100_40Hbm},
      {"a100-80g", 81920 * kMiB, 2.039e12, 312e12, 25e9, 5e-6, 300e9, "a100", "a100_dgx", 1.0},
      {"h100-80g", 81559 * kMiB, 3.35e12, 989e12, 50e9, 4e-6, 450e9, "h100", "h100_dgx", 1.0},
  }};
  return kGpus;
}

}  // namespace

Result<GpuSpec> FindGpu(std::string_view name) {
  for (const GpuSpec& g : Registry()) {
    if (g.name == name) return g;
  }
  return UnknownName("gpu", name, GpuNames());
}

std::vector<std::string> GpuNames() {
  std::vector<std::string> names;
  for (const GpuSpec& g : Registry()) names.push_back(g.name);
  return names;
}

}  // namespace cacheopt
