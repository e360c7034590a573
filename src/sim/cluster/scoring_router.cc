#include "sim/cluster/scoring_router.h"

#include <algorithm>

namespace cacheopt {

namespace {
constexpr uint64_t kPickerStream = 0x524f555445;  // "ROUTE": the tie-break draws
}

ScoringRouter::ScoringRouter(int replicas, uint64_t seed, ScorerWeights w, double refresh_s)
    : w_(w), refresh_s_(refresh_s), metrics_(replicas), rng_(Rng::Stream(seed, kPickerStream)) {}

std::vector<double> ScoringRouter::QueueScores() const {
  int64_t lo = metrics_[0].waiting, hi = metrics_[0].waiting;
  for (const auto& m : metrics_) {
    lo = std::min(lo, m.waiting);
    hi = std::max(hi, m.waiting);
  }
  std::vector<double> s(metrics_.size(), 1.0);
  if (hi == lo) return s;
  for (size_t i = 0; i < s.size(); ++i)
    s[i] = static_cast<double>(hi - metrics_[i].waiting) / static_cast<double>(hi - lo);
  return s;
}

std::vector<double> ScoringRouter::KvScores() const {
  std::vector<double> s(metrics_.size());
  for (size_t i = 0; i < s.size(); ++i) s[i] = 1.0 - metrics_[i].kv_use;
  return s;
}

int ScoringRouter::Pick(const RouteRequest& r) {
  const std::vector<double> q = QueueScores(), kv = KvScores(), p = PrefixScores(r);
  std::vector<double> total(q.size());
  for (size_t i = 0; i < total.size(); ++i) total[i] = w_.queue * q[i] + w_.kv * kv[i] + w_.prefix * p[i];
  const double best = *std::max_element(total.begin(), total.end());
  std::vector<int> tied;
  for (size_t i = 0; i < total.size(); ++i)
    if (total[i] == best) tied.push_back(static_cast<int>(i));
  // The picker shuffles before its stable sort: a uniform pick among ties.
  const int chosen = tied.size() == 1 ? tied[0] : tied[rng_.Next() % tied.size()];
  Picked(r, chosen);
  return chosen;
}

}  // namespace cacheopt
