#include "core/sched/policy_defaults.h"

#include <algorithm>

namespace cacheopt {
namespace {

BatchLimits Limits(const SchedulerConfig& c, int32_t budget, int32_t seqs) {
  return {c.token_budget > 0 ? c.token_budget : budget, c.max_num_seqs > 0 ? c.max_num_seqs : seqs};
}

}  // namespace

BatchLimits VllmV0Limits(const SchedulerConfig& c) { return Limits(c, std::max(c.max_model_len, 2048), 256); }

BatchLimits VllmV1Limits(const SchedulerConfig& c) {
  const bool large = c.device_memory_gib >= 70 && c.device_name.rfind("a100", 0) != 0;
  return Limits(c, large ? 8192 : 2048, large ? 1024 : 256);
}

BatchLimits SarathiLimits(const SchedulerConfig& c) { return Limits(c, 512, 128); }

BatchLimits ReserveMaxLimits(const SchedulerConfig& c) { return Limits(c, 8192, 2048); }

int32_t VllmWatermarkBlocks(const SchedulerConfig& c, bool at_least_one_at_zero) {
  const double wm = c.watermark >= 0 ? c.watermark : 0.01;
  const int32_t floor = at_least_one_at_zero || wm > 0 ? 1 : 0;
  return std::max(floor, static_cast<int32_t>(wm * c.device_blocks));
}

int32_t VllmV1WatermarkBlocks(const SchedulerConfig& c) {
  const double wm = c.watermark > 0 ? c.watermark : 0.0;
  return static_cast<int32_t>(wm * c.device_blocks);
}

}  // namespace cacheopt
