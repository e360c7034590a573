#include "core/sched/policies/reserve_max.h"

#include <algorithm>
#include <cassert>

namespace cacheopt {

ReserveMaxScheduler::ReserveMaxScheduler(const SchedulerConfig& config, const CostModel* cost)
    : Scheduler(config, cost) {
  max_num_tokens_ = config.token_budget > 0 ? config.token_budget : 8192;
  max_batch_size_ = config.max_num_seqs > 0 ? config.max_num_seqs : 2048;
}

int32_t ReserveMaxScheduler::Reservation(Request* r) {
  int64_t tokens = std::min<int64_t>(static_cast<int64_t>(r->spec.prompt_tokens) + r->spec.max_tokens,
                                     config_.max_model_len);
  return blocks_.BlocksFor(tokens);
}

bool ReserveMaxScheduler::OnOverrun(Request* /*r*/, SchedulerOutput* /*out*/) {
  assert(false && "a prompt + max_tokens reservation cannot overrun");
  return true;
}

void ReserveMaxScheduler::ScheduleStep(double /*now*/, SchedulerOutput* out) {
  // Capacity: every running request keeps its whole reservation.
  int64_t reserved = 0;
  for (const Request* r : running_) reserved += r->reserved_blocks;
  while (!waiting_.empty() && static_cast<int32_t>(running_.size()) < max_batch_size_) {
    Request* r = waiting_.front();
    int32_t need = Reservation(r);
    // Without chunked context a prompt over max_num_tokens could never run.
    if (need > blocks_.device_total() || r->TokensToCompute() > max_num_tokens_) {
      waiting_.pop_front();
      Reject(r, out);
      continue;
    }
    if (reserved + need > blocks_.device_total()) break;  // FCFS: wait for the head
    waiting_.pop_front();
    MarkRunning(r);
    r->reserved_blocks = need;
    reserved += need;
  }
  // Micro-batch: generations first (one token each), then contexts, each
  // needing its whole prompt (chunked context is off by default); both stop
  // at the first request over max_num_tokens.
  int32_t tokens = 0;
  for (int pass = 0; pass < 2; ++pass) {
    bool contexts = pass == 1;
    for (size_t i = 0; i < running_.size(); ++i) {
      Request* r = running_[i];
      if (r->InPrefill() != contexts) continue;
      int32_t n = r->TokensToCompute();
      if (tokens + n > max_num_tokens_) break;
      if (blocks_.BlocksFor(static_cast<int64_t>(r->num_computed) + n) > r->reserved_blocks &&
          !OnOverrun(r, out)) {
        --i;  // r left running_
        continue;
      }
      bool ok = Grow(r, static_cast<int64_t>(r->num_computed) + n);
      assert(ok && "the reservation guarantees the blocks");
      (void)ok;
      AddSeq(out, r, n);
      tokens += n;
    }
  }
}

}  // namespace cacheopt
