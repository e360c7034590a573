// The endpoint picker's scheme shared by `inference-extension` and
// `precise-prefix`: weighted scorers over the last scraped metrics plus a
// prefix scorer, and the max-score picker (gateway-api-inference-extension,
// pkg/epp/scheduling/framework/plugins: scorer/queue.go,
// scorer/kvcache_utilization.go, picker/max_score_picker.go).
#pragma once

#include <vector>

#include "cacheopt/random/rng.h"
#include "sim/cluster/router.h"

namespace cacheopt {

class ScoringRouter : public Router {
 public:
  ScoringRouter(int replicas, uint64_t seed, ScorerWeights w, double refresh_s);
  double scrape_interval_s() const override { return refresh_s_; }
  void OnScrape(int replica, const ScrapedMetrics& m) override { metrics_[replica] = m; }
  int Pick(const RouteRequest& r) override;

  // queue-scorer: (max - waiting) / (max - min) over the replicas; 1 for all
  // when every queue is equal.
  std::vector<double> QueueScores() const;
  // kv-cache-utilization-scorer: 1 - KV use.
  std::vector<double> KvScores() const;

 protected:
  // Each replica's prefix score in [0, 1] for `r`.
  virtual std::vector<double> PrefixScores(const RouteRequest& r) = 0;
  // Told the pick (the approximate scorer records where the prompt went).
  virtual void Picked(const RouteRequest& /*r*/, int /*replica*/) {}
  int replicas() const { return static_cast<int>(metrics_.size()); }

 private:
  ScorerWeights w_;
  double refresh_s_;
  std::vector<ScrapedMetrics> metrics_;
  Rng rng_;  // the picker's random tie-break
};

}  // namespace cacheopt
