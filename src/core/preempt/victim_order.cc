#include "core/preempt/victim_order.h"

#include <algorithm>

namespace cacheopt {

void OrderVictims(std::vector<VictimCandidate>* c, int32_t max_preemptions) {
  std::sort(c->begin(), c->end(), [max_preemptions](const VictimCandidate& a, const VictimCandidate& b) {
    bool a_spent = a.req->Preemptions() >= max_preemptions;
    bool b_spent = b.req->Preemptions() >= max_preemptions;
    if (a_spent != b_spent) return !a_spent;
    if (a.req->spec.slo_class != b.req->spec.slo_class) return a.req->spec.slo_class > b.req->spec.slo_class;
    if (a.remaining_s != b.remaining_s) return a.remaining_s > b.remaining_s;
    if (a.preempt_cost_s != b.preempt_cost_s) return a.preempt_cost_s < b.preempt_cost_s;
    return a.req->admit_seq > b.req->admit_seq;
  });
}

void OrderNewestFirst(std::vector<VictimCandidate>* c) {
  std::sort(c->begin(), c->end(), [](const VictimCandidate& a, const VictimCandidate& b) {
    return a.req->admit_seq > b.req->admit_seq;
  });
}

}  // namespace cacheopt
