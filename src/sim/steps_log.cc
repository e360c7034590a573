#include "sim/steps_log.h"

#include <cstdio>

namespace cacheopt {

void WriteStepLine(std::ostream& os, const SchedulerOutput& step, double duration_s,
                   int32_t device_free, int32_t host_free) {
  char buf[128];
  std::snprintf(buf, sizeof(buf), "{\"step\":%lld,\"t\":%.9f,\"dur\":%.9f,\"seqs\":[",
                static_cast<long long>(step.step), step.now, duration_s);
  os << buf;
  bool first = true;
  for (const ScheduledSeq& s : step.seqs) {
    std::snprintf(buf, sizeof(buf), "%s{\"id\":%lld,\"tokens\":%d,\"phase\":\"%s\"}", first ? "" : ",",
                  static_cast<long long>(s.request_id), s.num_tokens, s.prefill() ? "prefill" : "decode");
    os << buf;
    first = false;
  }
  os << "],\"preempted\":[";
  first = true;
  for (const PreemptionRecord& p : step.preempted) {
    std::snprintf(buf, sizeof(buf), "%s{\"id\":%lld,\"kind\":\"%s\",\"blocks\":%d}", first ? "" : ",",
                  static_cast<long long>(p.request_id), p.kind == PreemptKind::kSwap ? "swap" : "recompute",
                  p.blocks);
    os << buf;
    first = false;
  }
  std::snprintf(buf, sizeof(buf),
                "],\"swap_out\":%zu,\"swap_out_ahead\":%zu,\"swap_in\":%zu,\"rejected\":%zu,\"free_device\":%d,"
                "\"free_host\":%d}\n",
                step.swap_out.size(), step.swap_out_ahead.size(), step.swap_in.size(), step.rejected.size(),
                device_free, host_free);
  os << buf;
}

}  // namespace cacheopt
