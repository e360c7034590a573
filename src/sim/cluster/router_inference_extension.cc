// inference-extension: the Gateway API Inference Extension's default
// scheduling profile (config/charts/inferencepool/templates/epp-config.yaml:
// queue-scorer weight 2, kv-cache-utilization-scorer weight 2,
// prefix-cache-scorer weight 3, max-score picker) over metrics it scrapes
// every 50 ms.
//
// Its prefix scorer is approximate (pkg/epp/scheduling/framework/plugins/
// multi/prefix/plugin.go, indexer.go): it hashes the prompt in blocks of 64
// characters (about 16 tokens: one engine block here), the first block
// chained from the model name, at most 256 blocks; it remembers, per
// replica, the hashes of every prompt it sent there (an LRU of 31,250
// entries), never learning what the replica evicted. A replica's score is
// the blocks matched from the start over the prompt's blocks, where a block
// counts for every replica that has it once any replica has the blocks
// before it (matchLongestPrefix's greedy walk).
#include <list>
#include <unordered_map>
#include <unordered_set>

#include "sim/cluster/scoring_router.h"

namespace cacheopt {
namespace {

constexpr BlockHash kModelHash = 0x6d6f64656cULL;  // hash(0): the model name's

// Per replica: the hashes it was sent, least recently used first.
class ApproximatePrefixIndex {
 public:
  ApproximatePrefixIndex(int replicas, int64_t capacity) : lru_(replicas), pos_(replicas), capacity_(capacity) {}

  void Add(std::span<const BlockHash> hashes, int replica) {
    auto& lru = lru_[replica];
    auto& pos = pos_[replica];
    for (BlockHash h : hashes) {
      if (auto it = pos.find(h); it != pos.end()) {
        lru.splice(lru.end(), lru, it->second);  // touch
        continue;
      }
      lru.push_back(h);
      pos.emplace(h, std::prev(lru.end()));
      servers_[h].insert(replica);
      if (static_cast<int64_t>(lru.size()) > capacity_) {
        const BlockHash old = lru.front();
        lru.pop_front();
        pos.erase(old);
        auto s = servers_.find(old);
        s->second.erase(replica);
        if (s->second.empty()) servers_.erase(s);
      }
    }
  }
  const std::unordered_set<int>* Get(BlockHash h) const {
    auto it = servers_.find(h);
    return it == servers_.end() ? nullptr : &it->second;
  }

 private:
  std::vector<std::list<BlockHash>> lru_;
  std::vector<std::unordered_map<BlockHash, std::list<BlockHash>::iterator>> pos_;
  std::unordered_map<BlockHash, std::unordered_set<int>> servers_;
  int64_t capacity_;
};

class InferenceExtensionRouter : public ScoringRouter {
 public:
  InferenceExtensionRouter(int replicas, uint64_t seed, ScorerWeights w, double refresh_s, int32_t max_blocks,
                           int64_t lru_capacity)
      : ScoringRouter(replicas, seed, w, refresh_s), max_blocks_(max_blocks), index_(replicas, lru_capacity) {}
  std::string_view name() const override { return "inference-extension"; }

 protected:
  std::vector<double> PrefixScores(const RouteRequest& r) override {
    Hash(r);
    std::vector<double> s(replicas(), 0.0);
    if (hashes_.empty()) return s;
    std::vector<int>& matched = matched_;
    matched.assign(replicas(), 0);
    for (BlockHash h : hashes_) {
      const auto* servers = index_.Get(h);
      if (servers == nullptr || servers->empty()) break;
      for (int rep : *servers) ++matched[rep];
    }
    for (int i = 0; i < replicas(); ++i) s[i] = static_cast<double>(matched[i]) / static_cast<double>(hashes_.size());
    return s;
  }
  void Picked(const RouteRequest&, int replica) override {
    index_.Add(hashes_, replica);
    if (!hashes_.empty() && matched_[replica] > 0) predicted_hit_blocks_ += matched_[replica] - 1;  // less the model's block
  }

 private:
  // hashPrompt: nothing for a prompt under one block; else the model's hash
  // and the prompt's first blocks.
  void Hash(const RouteRequest& r) {
    hashes_.clear();
    if (r.block_hashes.empty()) return;
    const size_t n = std::min<size_t>(r.block_hashes.size(), static_cast<size_t>(max_blocks_));
    hashes_.push_back(kModelHash);
    hashes_.insert(hashes_.end(), r.block_hashes.begin(), r.block_hashes.begin() + static_cast<std::ptrdiff_t>(n));
  }

  int32_t max_blocks_;
  ApproximatePrefixIndex index_;
  std::vector<BlockHash> hashes_;  // of the request being scored
  std::vector<int> matched_;       // its blocks matched per replica
};

}  // namespace

std::unique_ptr<Router> MakeInferenceExtensionRouter(int replicas, uint64_t seed, ScorerWeights w, double refresh_s,
                                                     int32_t max_prefix_blocks, int64_t lru_capacity_per_replica) {
  return std::make_unique<InferenceExtensionRouter>(replicas, seed, w, refresh_s, max_prefix_blocks,
                                                    lru_capacity_per_replica);
}

}  // namespace cacheopt
