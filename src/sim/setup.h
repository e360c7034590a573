// Turns user-facing names (model, GPU, TP, memory knobs) into the objects a
// run needs: the cost model, the KV pools of both tiers, the scheduler config.
// Every policy in a comparison gets the same Setup.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cacheopt/cost/cost_model.h"
#include "cacheopt/scheduler_config.h"
#include "cacheopt/status.h"

namespace cacheopt {

struct SetupOptions {
  std::string model = "llama-2-7b";
  std::string gpu = "a100-40g";
  int tp = 1;
  double gpu_memory_utilization = 0.9;  // vLLM's default
  int32_t block_size = 16;              // vLLM's default
  int64_t kv_device_blocks = -1;        // >0 overrides the computed pool
  double host_kv_gib = 4;               // vLLM's swap_space default (GiB per GPU)
  std::string shared_dir;               // "" = no profiles: analytic cost model
  // A CPU cost profile from `cacheopt profile` (profile/cpu_cost_profile.h):
  // simulate this machine's real engine instead of a GPU. `model`, `gpu`,
  // `tp` and `gpu_memory_utilization` are then unused: the context and KV
  // size come from the profile, and the device tier is the server's default
  // (1 GiB) unless `kv_device_blocks` is set.
  std::string cpu_cost_profile;
  int64_t kv_host_blocks = -1;          // >= 0 overrides host_kv_gib
  // GPU KV cache element type, as vLLM's --kv-cache-dtype: "fp16" (its
  // "auto" for fp16 models) or "fp8" (half the bytes per token, so about
  // twice the blocks). Unused with cpu_cost_profile.
  std::string kv_cache_dtype = "fp16";
};

struct Setup {
  std::unique_ptr<CostModel> cost;  // a GpuCostModel, or a CpuCostModel from a profile
  SchedulerConfig sched;             // pools, block size, context, device
  int64_t kv_capacity_tokens = 0;    // what the GPU memory would hold
  std::vector<std::string> notes;    // e.g. "profiles not found: analytic model"
};

Result<Setup> MakeSetup(const SetupOptions& opts);

}  // namespace cacheopt
