// An executor without a cost model: every step takes 1 s and a request ends
// (plays EOS) when it has produced its true length. The soak's "fake"
// episodes and the unit tests drive policies with it.
#pragma once

#include <cstdint>
#include <map>

#include "cacheopt/executor.h"

namespace cacheopt {

// Each step takes 1 s; a request ends when it has produced its true length.
class FixedStepExecutor : public Executor {
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

}  // namespace cacheopt
