// A cost model with simple linear costs: the soak's "fake" episodes and unit
// tests use it where the GPU model's detail does not matter.
#pragma once

#include <span>

#include "cacheopt/cost/cost_model.h"

namespace cacheopt {

// 1 ms per step + 0.1 ms per token + 1 us per cached token read; 0.5 ms per block copied.
class LinearCostModel : public CostModel {
 public:
  double StepTime(std::span<const SeqWork> seqs) const override {
    if (seqs.empty()) return 0;
    double t = 1e-3;
    for (const SeqWork& w : seqs) t += 1e-4 * w.num_tokens + 1e-6 * w.context_before;
    return t;
  }
  double SwapTime(int64_t out, int64_t in, int /*block_size*/) const override {
    return 5e-4 * static_cast<double>(out + in);
  }
  int64_t KvBytesPerToken() const override { return 1024; }
};

}  // namespace cacheopt
