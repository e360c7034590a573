// Test doubles for driving a scheduler step by step: a cost model with simple
// linear costs and an executor that plays EOS from a table of true lengths.
#pragma once

#include <cstdint>
#include <map>

#include "core/cost/cost_model.h"
#include "core/engine/executor.h"

namespace cacheopt::testing {

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

// Each step takes 1 s; a request ends when it has produced its true length.
class FakeExecutor : public Executor {
 public:
  std::map<int64_t, int32_t> true_len;
  int64_t steps = 0;
  void Execute(const SchedulerOutput& step, ExecutorOutput* out) override {
    ++steps;
    out->duration_s = 1.0;
    out->results.clear();
    for (const ScheduledSeq& s : step.seqs) {
      SeqResult r;
      if (s.emits_token) {
        r.token = 1;
        auto it = true_len.find(s.request_id);
        r.eos = it != true_len.end() && s.num_output + 1 >= it->second;
      }
      out->results.push_back(r);
    }
  }
};

}  // namespace cacheopt::testing
