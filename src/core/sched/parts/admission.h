// Admission (capacity): whether a request that needs `need` more device
// blocks may enter the running set now, later, or never. The request's
// footprint is the policy's business (the whole prompt, a chunk, a
// reservation); the rule only weighs it against the pool.
#pragma once

#include <cstdint>

#include "core/kv/block_manager.h"

namespace cacheopt {

enum class Admit : int8_t { kNow, kLater, kNever };

class AdmissionRule {
 public:
  virtual ~AdmissionRule() = default;
  // `anyone_running`: the running set is not empty.
  virtual Admit Check(int64_t need, const BlockManager& blocks, bool anyone_running) const = 0;
};

// vLLM's block-space check: admit while the blocks left free stay at or above
// a watermark. V0 and Sarathi-Serve keep 1% of the pool (at least one block)
// and refuse for ever what an empty pool could not take with it; V1 keeps
// none unless set (PR vllm#44594), only once something runs, and refuses for
// ever only what could not fit an empty pool at all.
class WatermarkAdmission final : public AdmissionRule {
 public:
  struct Options {
    int32_t watermark_blocks = 0;
    bool only_while_running = false;  // V1's has_scheduled_reqs: an empty cache admits its first request
    bool never_counts_watermark = true;
  };
  explicit WatermarkAdmission(Options o) : o_(o) {}
  Admit Check(int64_t need, const BlockManager& blocks, bool anyone_running) const override;

 private:
  Options o_;
};

}  // namespace cacheopt
