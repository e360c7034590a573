#include "core/sched/parts/admission.h"

namespace cacheopt {

Admit WatermarkAdmission::Check(int64_t need, const BlockManager& blocks, bool anyone_running) const {
  if (blocks.device_total() - need < (o_.never_counts_watermark ? o_.watermark_blocks : 0)) return Admit::kNever;
  const int32_t headroom = o_.only_while_running && !anyone_running ? 0 : o_.watermark_blocks;
  return blocks.device_free() - need < headroom ? Admit::kLater : Admit::kNow;
}

}  // namespace cacheopt
