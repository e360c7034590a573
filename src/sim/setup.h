// Turns user-facing names (model, GPU, TP, memory knobs) into the objects a
// run needs: the cost model, the KV pools of both tiers, the scheduler config.
// Every policy in a comparison gets the same Setup.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cacheopt/status.h"
#include "core/cost/gpu_cost_model.h"
#include "core/sched/scheduler_config.h"

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
};

struct Setup {
  std::unique_ptr<GpuCostModel> cost;
  SchedulerConfig sched;             // pools, block size, context, device
  int64_t kv_capacity_tokens = 0;    // what the GPU memory would hold
  std::vector<std::string> notes;    // e.g. "profiles not found: analytic model"
};

Result<Setup> MakeSetup(const SetupOptions& opts);

}  // namespace cacheopt
