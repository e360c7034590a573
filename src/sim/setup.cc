#include "sim/setup.h"

#include <algorithm>
#include <cmath>

#include "cacheopt/cost/kv_capacity.h"
#include "calibration/cpu_cost_profile.h"
#include "calibration/load_gpu_cost_model.h"

namespace cacheopt {

namespace {

// The real engine's default device tier (RealEngineOptions: 1 GiB of KV).
constexpr double kCpuDefaultDeviceBytes = 1024.0 * 1024 * 1024;

int32_t HostBlocks(const SetupOptions& opts, double block_bytes, int32_t device_blocks, bool cpu) {
  if (opts.kv_host_blocks >= 0) return static_cast<int32_t>(std::min<int64_t>(INT32_MAX / 2, opts.kv_host_blocks));
  // The real engine's default host tier is as many blocks as the device's.
  if (cpu) return device_blocks;
  return static_cast<int32_t>(
      std::min<double>(INT32_MAX / 2, std::floor(opts.host_kv_gib * 1024.0 * 1024 * 1024 / block_bytes)));
}

Result<Setup> MakeCpuSetup(const SetupOptions& opts) {
  auto profile = ReadCpuCostProfile(opts.cpu_cost_profile);
  if (!profile.ok()) return profile.status();
  const CpuCostProfile& p = *profile;
  Setup s;
  s.cost = MakeProfiledCostModel(p);
  const double block_bytes = static_cast<double>(p.kv_bytes_per_token) * opts.block_size;
  SchedulerConfig& c = s.sched;
  c.block_size = opts.block_size;
  c.max_model_len = p.context;
  c.device_name = "cpu: " + p.machine;
  c.device_memory_gib = 0;
  const int64_t blocks = opts.kv_device_blocks > 0
                             ? opts.kv_device_blocks
                             : static_cast<int64_t>(std::floor(kCpuDefaultDeviceBytes / block_bytes));
  if (blocks <= 0 || blocks > INT32_MAX / 2) return Status::InvalidArgument("--kv-device-blocks is out of range");
  c.device_blocks = static_cast<int32_t>(blocks);
  c.host_blocks = HostBlocks(opts, block_bytes, c.device_blocks, true);
  s.kv_capacity_tokens = blocks * opts.block_size;
  s.notes.push_back("cost model: CPU profile " + opts.cpu_cost_profile + " (" + p.model_name + ", " +
                    std::to_string(p.threads) + " threads, " + p.machine + ")");
  return s;
}

}  // namespace

Result<Setup> MakeSetup(const SetupOptions& opts) {
  if (opts.block_size < 1 || opts.block_size > 1024)
    return Status::InvalidArgument("--block-size must be in [1, 1024], got " + std::to_string(opts.block_size));
  if (!opts.cpu_cost_profile.empty()) return MakeCpuSetup(opts);
  auto model = FindModel(opts.model);
  if (!model.ok()) return model.status();
  if (opts.kv_cache_dtype != "fp16" && opts.kv_cache_dtype != "fp8")
    return Status::InvalidArgument("--kv-cache-dtype must be fp16 or fp8, got '" + opts.kv_cache_dtype + "'");
  model->kv_cache_bytes = opts.kv_cache_dtype == "fp8" ? 1 : 2;
  auto gpu = FindGpu(opts.gpu);
  if (!gpu.ok()) return gpu.status();
  if (opts.tp < 1 || (model->heads % opts.tp) != 0)
    return Status::InvalidArgument("--tp " + std::to_string(opts.tp) + " must divide " + opts.model + "'s " +
                                   std::to_string(model->heads) + " attention heads");
  if (!(opts.gpu_memory_utilization > 0 && opts.gpu_memory_utilization <= 1))
    return Status::InvalidArgument("--gpu-memory-utilization must be in (0, 1]");
  if (opts.host_kv_gib < 0) return Status::InvalidArgument("--host-kv-gib must be >= 0");

  Setup s;
  GpuCostModelOptions co;
  co.model = opts.model;
  co.gpu = opts.gpu;
  co.tp = opts.tp;
  co.kv_cache_bytes = model->kv_cache_bytes;
  co.data_dir = opts.shared_dir.empty() ? "" : opts.shared_dir + "/data";
  CostModelProvenance prov;
  auto cost = LoadGpuCostModel(co, &prov);
  if (!cost.ok()) return cost.status();
  s.cost = std::move(*cost);
  if (prov.analytic_fallback) {
    s.notes.push_back("cost model: part or all from the analytic roofline: " + prov.note);
    if (co.data_dir.empty())
      s.notes.push_back("GPU profiles not found: put the shared folder beside the project (../shared/data/"
                        "vidur_profiling) or set CACHEOPT_SHARED for the calibrated tables");
  }

  if (model->context > prov.attention_profiled_context) {
    // Long contexts: the attention roofline fitted on shorter ones carries
    // on linearly in FLOPs and KV bytes; nothing measured checks it there.
    s.notes.push_back("cost model: " + opts.model + "'s context of " + std::to_string(model->context) +
                      " tokens is past the " +
                      (prov.attention_profiled_context > 0
                           ? std::to_string(prov.attention_profiled_context) + "-token attention profile"
                           : std::string("attention profile (none found)")) +
                      ": attention beyond it is extrapolated by the fitted roofline (linear in FLOPs and KV "
                      "bytes), unvalidated");
  }
  s.kv_capacity_tokens = KvCapacityTokens(*model, *gpu, opts.tp, opts.gpu_memory_utilization);
  SchedulerConfig& c = s.sched;
  c.block_size = opts.block_size;
  c.max_model_len = model->context;
  c.device_name = gpu->name;
  c.device_memory_gib = static_cast<double>(gpu->memory_bytes) / (1024.0 * 1024 * 1024);
  int64_t blocks = opts.kv_device_blocks > 0 ? opts.kv_device_blocks : s.kv_capacity_tokens / opts.block_size;
  if (blocks <= 0)
    return Status::InvalidArgument(opts.model + " does not leave room for a KV cache on " + opts.gpu +
                                   " at tp " + std::to_string(opts.tp) + "; raise --tp or pick a larger GPU");
  if (blocks > INT32_MAX / 2) return Status::InvalidArgument("--kv-device-blocks is too large");
  c.device_blocks = static_cast<int32_t>(blocks);
  // The host tier is swap space per GPU, as vLLM sizes it.
  double block_bytes = static_cast<double>(s.cost->KvBytesPerToken()) * opts.block_size;
  c.host_blocks = HostBlocks(opts, block_bytes, c.device_blocks, false);
  return s;
}

}  // namespace cacheopt
