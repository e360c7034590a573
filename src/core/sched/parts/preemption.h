// Preemption, in two parts: the order in which running requests are chosen
// as victims, and whether a victim is swapped or recomputed.
#pragma once

#include <cstdint>
#include <vector>

#include "cacheopt/cost/cost_model.h"
#include "cacheopt/request.h"
#include "cacheopt/scheduler_output.h"
#include "core/kv/block_manager.h"
#include "core/preempt/victim_order.h"

namespace cacheopt {

class PreemptKindRule {
 public:
  virtual ~PreemptKindRule() = default;
  virtual PreemptKind Kind(const Request& victim) const = 0;
};

// One kind always: vLLM V0 by --preemption-mode, V1 and Sarathi-Serve
// recompute. (A swap without room in the host tier recomputes anyway.)
class FixedKind final : public PreemptKindRule {
 public:
  explicit FixedKind(PreemptKind kind) : kind_(kind) {}
  PreemptKind Kind(const Request&) const override { return kind_; }

 private:
  PreemptKind kind_;
};

// C5: whichever is faster to undo, by the cost model; recompute when there
// is no host tier.
class CheaperKind final : public PreemptKindRule {
 public:
  CheaperKind(const CostModel* cost, const BlockManager* blocks) : cost_(cost), blocks_(blocks) {}
  PreemptKind Kind(const Request& victim) const override;

 private:
  const CostModel* cost_;
  const BlockManager* blocks_;
};

class VictimOrderRule {
 public:
  virtual ~VictimOrderRule() = default;
  // Sorts `c` so the preferred victim is first.
  virtual void Order(std::vector<VictimCandidate>* c) const = 0;
};

// C4: loose SLO class, long remaining time, cheap preemption first.
class SloVictimOrder final : public VictimOrderRule {
 public:
  explicit SloVictimOrder(int32_t max_preemptions) : max_preemptions_(max_preemptions) {}
  void Order(std::vector<VictimCandidate>* c) const override { OrderVictims(c, max_preemptions_); }

 private:
  int32_t max_preemptions_;
};

// The baselines' order: the newest admission first.
class NewestAdmittedFirst final : public VictimOrderRule {
 public:
  void Order(std::vector<VictimCandidate>* c) const override { OrderNewestFirst(c); }
};

}  // namespace cacheopt
