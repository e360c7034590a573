// leastconn: HAProxy's `balance leastconn` over servers whose weights come
// from an agent check (`agent-check`, every `agent-inter`). Each check reads
// the replica's load and answers `up NN%` (AgentWeightPercent, the formula
// the real server's --lb-agent-port answers with); HAProxy sets the server's
// effective weight to NN% of its configured weight (100 here).
//
// Picking follows HAProxy 2.6's src/lb_fwlc.c: each server sits in a tree
// keyed by inflight x SRV_EWGHT_MAX / eweight (eweight = weight x
// BE_WEIGHT_SCALE), the lowest key wins, and among equal keys the server
// that entered the tree first (servers are re-queued whenever their count or
// weight changes). In-flight counts are HAProxy's own (connections served).
#include <vector>

#include "cacheopt/metrics/agent_weight.h"
#include "sim/cluster/router.h"

namespace cacheopt {
namespace {

constexpr int64_t kEwghtMax = 256 * 16;  // SRV_EWGHT_MAX = SRV_UWGHT_MAX x BE_WEIGHT_SCALE
constexpr int64_t kWeightScale = 16;     // BE_WEIGHT_SCALE

class LeastconnRouter : public Router {
 public:
  LeastconnRouter(int replicas, double inter_s)
      : inter_s_(inter_s), in_flight_(replicas, 0), weight_pct_(replicas, 100), queued_at_(replicas, 0) {
    for (int r = 0; r < replicas; ++r) queued_at_[r] = seq_++;
  }
  std::string_view name() const override { return "leastconn"; }
  double scrape_interval_s() const override { return inter_s_; }
  void OnScrape(int replica, const ScrapedMetrics& m) override {
    const int pct = AgentWeightPercent(m.waiting, m.kv_use);
    if (pct != weight_pct_[replica]) {
      weight_pct_[replica] = pct;
      queued_at_[replica] = seq_++;
    }
  }
  void OnResponseDone(int replica, int64_t) override {
    --in_flight_[replica];
    queued_at_[replica] = seq_++;
  }
  int Pick(const RouteRequest&) override {
    int best = 0;
    for (int r = 1; r < static_cast<int>(in_flight_.size()); ++r) {
      const int64_t kr = Key(r), kb = Key(best);
      if (kr < kb || (kr == kb && queued_at_[r] < queued_at_[best])) best = r;
    }
    ++in_flight_[best];
    queued_at_[best] = seq_++;
    return best;
  }

 private:
  int64_t Key(int r) const { return in_flight_[r] * kEwghtMax / (weight_pct_[r] * kWeightScale); }

  double inter_s_;
  std::vector<int64_t> in_flight_;
  std::vector<int> weight_pct_;
  std::vector<int64_t> queued_at_;
  int64_t seq_ = 0;
};

}  // namespace

std::unique_ptr<Router> MakeLeastconnRouter(int replicas, double agent_inter_s) {
  return std::make_unique<LeastconnRouter>(replicas, agent_inter_s);
}

}  // namespace cacheopt
