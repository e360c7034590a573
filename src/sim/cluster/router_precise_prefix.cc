// precise-prefix: the same scorers and weights as `inference-extension`
// with llm-d's precise prefix-cache scorer in place of the approximate one
// (llm-d-inference-scheduler's precise-prefix-cache-scorer over
// llm-d-kv-cache-manager's block index): the router subscribes to every
// replica's KV events and keeps, per block hash, the replicas that hold it
// (BlockStored adds, BlockRemoved removes). A replica's raw score is the
// length of the prompt's leading run of blocks it holds (at most 256);
// replicas with a run are normalised min-max among themselves (all 1 when
// equal), the others score 0 (indexedScoresToNormalizedScoredPods).
#include <algorithm>
#include <iterator>
#include <unordered_map>

#include "sim/cluster/scoring_router.h"

namespace cacheopt {
namespace {

class PrecisePrefixRouter : public ScoringRouter {
 public:
  PrecisePrefixRouter(int replicas, uint64_t seed, ScorerWeights w, double refresh_s, int32_t max_blocks)
      : ScoringRouter(replicas, seed, w, refresh_s), max_blocks_(max_blocks) {}
  std::string_view name() const override { return "precise-prefix"; }
  bool wants_kv_events() const override { return true; }

  void OnKvEvent(int replica, const KvCacheEvent& e) override {
    const uint64_t bit = uint64_t{1} << replica;
    if (e.kind == KvCacheEvent::Kind::kAllCleared) {
      for (auto it = holders_.begin(); it != holders_.end();) {
        it->second &= ~bit;
        it = it->second == 0 ? holders_.erase(it) : std::next(it);
      }
    } else if (e.kind == KvCacheEvent::Kind::kBlockStored) {
      holders_[e.hash] |= bit;
    } else if (auto it = holders_.find(e.hash); it != holders_.end()) {
      it->second &= ~bit;
      if (it->second == 0) holders_.erase(it);
    }
  }

 protected:
  std::vector<double> PrefixScores(const RouteRequest& r) override {
    std::vector<int>& run = run_;
    run.assign(replicas(), 0);
    uint64_t active = ~uint64_t{0};
    const size_t n = std::min<size_t>(r.block_hashes.size(), static_cast<size_t>(max_blocks_));
    for (size_t i = 0; i < n && active != 0; ++i) {
      auto it = holders_.find(r.block_hashes[i]);
      active &= it == holders_.end() ? 0 : it->second;
      for (int rep = 0; rep < replicas(); ++rep)
        if (active & (uint64_t{1} << rep)) ++run[rep];
    }
    int lo = 0, hi = 0;
    bool any = false;
    for (int v : run) {
      if (v == 0) continue;
      lo = any ? std::min(lo, v) : v;
      hi = any ? std::max(hi, v) : v;
      any = true;
    }
    std::vector<double> s(replicas(), 0.0);
    for (int i = 0; i < replicas(); ++i) {
      if (run[i] == 0) continue;
      s[i] = hi == lo ? 1.0 : static_cast<double>(run[i] - lo) / static_cast<double>(hi - lo);
    }
    return s;
  }
  void Picked(const RouteRequest&, int replica) override { predicted_hit_blocks_ += run_[replica]; }

 private:
  int32_t max_blocks_;
  std::unordered_map<BlockHash, uint64_t> holders_;  // replicas as bits
  std::vector<int> run_;  // the scored request's leading run per replica
};

}  // namespace

std::unique_ptr<Router> MakePrecisePrefixRouter(int replicas, uint64_t seed, ScorerWeights w, double refresh_s,
                                                int32_t max_prefix_blocks) {
  return std::make_unique<PrecisePrefixRouter>(replicas, seed, w, refresh_s, max_prefix_blocks);
}

}  // namespace cacheopt
