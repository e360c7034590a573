// The scheduler interface every policy implements, and the state they share:
// queues, the two-tier block manager, request bookkeeping and the common
// moves (admit, grow, preempt, reject, finish). A policy only decides order.
//
// Protocol per step: Schedule(now) -> SchedulerOutput; the executor runs it;
// Update(ExecutorOutput, end_time) applies the results. Blocks are taken in
// Schedule, before the executor writes into them, as vLLM does; Update never
// fails, so the plan and the commit cannot diverge.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cacheopt/request.h"
#include "cacheopt/scheduler_config.h"
#include "cacheopt/scheduler_output.h"
#include "cacheopt/scheduler_state.h"
#include "core/kv/block_manager.h"
#include "core/sched/parts/preemption.h"

namespace cacheopt {

class CostModel;

class Scheduler {
 public:
  Scheduler(const SchedulerConfig& config, const CostModel* cost);
  virtual ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  virtual std::string_view name() const = 0;

  // Queues a new request (state waiting). The id must be unique.
  Request* Add(const RequestSpec& spec);
  // Cancels a request wherever it is; its blocks on both tiers are freed.
  bool Abort(int64_t id, double now);

  // Decides the next step. The returned reference is valid until the next call.
  const SchedulerOutput& Schedule(double now);
  // Applies the executor's results for the last Schedule; `end_s` is when the
  // step's tokens came out.
  void Update(const ExecutorOutput& result, double end_s);

  bool HasUnfinished() const { return !live_.empty(); }
  // A live request by id (null once it has ended), for checks and tools.
  const Request* Find(int64_t id) const {
    auto it = live_.find(id);
    return it == live_.end() ? nullptr : it->second.get();
  }
  size_t num_waiting() const { return waiting_.size(); }
  size_t num_running() const { return running_.size(); }
  size_t num_swapped() const { return swapped_.size(); }
  const BlockManager& blocks() const { return blocks_; }
  const SchedulerCounters& counters() const { return counters_; }
  const SchedulerConfig& config() const { return config_; }
  // Copy each scheduled sequence's block table into the plan (the session
  // turns it on for executors that read KV).
  void set_plan_block_tables(bool on) { plan_block_tables_ = on; }
  // Monitoring gauges of reservation-based policies (0 for the others):
  // blocks promised to requests beyond what plain reservation admission
  // allows, i.e. lent out of other requests' unused reservations (C2); and
  // blocks of the global reserve in physical use now (C3).
  virtual int64_t LentBlocks() const { return 0; }
  virtual int64_t ReserveBlocksInUse() const { return 0; }

  // Moves out every request that has ended (finished, rejected, aborted).
  std::vector<std::unique_ptr<Request>> TakeDone();
  // Moves out every token gap (seconds) recorded since the last call, in
  // emission order. One contiguous log of floats is far cheaper in the step
  // than a vector per request (bench/scheduler_bench.cc).
  std::vector<float> TakeGapLog() { return std::move(gap_log_); }

  // Queues and tables agree with request states; block invariants hold.
  Status CheckInvariants() const;

  // The public API's hooks on the block manager (cacheopt/kv_events.h).
  friend void RecordKvEvents(Scheduler& s, KvEventLog* log);
  friend bool ResetPrefixCache(Scheduler& s);

 protected:
  // The policy: fill `out` for this step using the helpers below.
  virtual void ScheduleStep(double now, SchedulerOutput* out) = 0;
  // Called as a request ends (finished, rejected or aborted), before its
  // blocks are freed and it leaves the queues.
  virtual void OnEnded(Request* /*r*/) {}
  // Called as a request is queued.
  virtual void OnArrival(Request* /*r*/, double /*now*/) {}

  // Gives `r` a block slot if needed and grows its device table to `tokens`;
  // false and no change if the device tier lacks blocks.
  bool Grow(Request* r, int64_t tokens) {
    int32_t need = BlocksToGrow(r, tokens);
    return need == 0 || GrowBy(r, tokens, need);
  }
  // Blocks `r` must still add to hold `tokens`.
  int32_t BlocksToGrow(const Request* r, int64_t tokens) const {
    return r->kv_slot < 0 ? blocks_.BlocksFor(tokens) : blocks_.DeviceBlocksToGrow(r->kv_slot, tokens);
  }
  // Prefix cache: the cached run of `r`'s leading full blocks, when caching
  // is on and `r` holds no KV yet (new, or back from a recompute); at most
  // its tokens less one, so one is left to compute (vLLM V1's
  // get_computed_blocks). Empty otherwise.
  PrefixHit CachedPrefix(const Request* r) const;
  int32_t CachedTokens(const PrefixHit& hit) const { return hit.blocks * blocks_.block_size(); }
  // Leading tokens of running `r` whose blocks are in the prefix cache and
  // stay there if it leaves (0 with caching off).
  int32_t CachedPrefixTokens(const Request& r) const { return blocks_.StaysCachedTokens(r.cached_blocks); }
  // Blocks `r` takes from the free count to hold `tokens` with `hit`
  // attached: the uncached ones, plus the cached ones nobody holds.
  int32_t BlocksToGrow(const Request* r, int64_t tokens, const PrefixHit& hit) const {
    if (hit.blocks == 0) return BlocksToGrow(r, tokens);
    return std::max(0, blocks_.BlocksFor(tokens) - hit.blocks) + hit.evictable;
  }
  // Attaches `hit` to `r`, which holds no KV (its tokens count as computed),
  // then grows it to `tokens`; false and no change if blocks lack.
  bool GrowFromPrefix(Request* r, int64_t tokens, const PrefixHit& hit);
  // Moves a waiting (or swapped-in) request to the back of running.
  void MarkRunning(Request* r);
  // Records that `r` feeds `n` tokens this step: the scheduler's hottest
  // call, once per scheduled sequence per step (microbench/scheduler_bench.cc;
  // forcing it inline pushed the vector's growth out of line, slower).
  void AddSeq(SchedulerOutput* out, Request* r, int32_t n) {
    int32_t left = r->TokensToCompute();
    assert(r->kv_slot >= 0 && "a scheduled sequence holds a block table");
    // Built in place, field by field: a temporary copied in is re-read with
    // wide loads from its narrow stores, a store-forwarding stall that cost
    // cacheopt's step 20% (microbench/scheduler_bench.cc).
    ScheduledSeq& q = out->seqs.emplace_back();
    q.request_id = r->spec.id;
    q.num_tokens = n;
    q.context_before = r->num_computed;
    q.num_output = r->num_output;
    q.slot = r->kv_slot;
    q.emits_token = n == left;
  }
  // Takes `r` out of this step's sequences again (a victim preempted after
  // it was scheduled).
  void Unschedule(SchedulerOutput* out, const Request* r);
  // Preempts the last running request (as `kind` says) until `has_room()`
  // holds: vLLM's and Sarathi-Serve's rule, the requester `r` itself leaving
  // last. False when `r` had to leave; `*any` notes that someone did.
  // Under a policy that groups, a victim's running group mates leave with
  // it (they sit just before it in running_: admitted, resumed and
  // preempted together).
  template <typename HasRoom>
  bool PreemptLastUntil(Request* r, const PreemptKindRule& kind, HasRoom has_room, SchedulerOutput* out,
                        bool* any = nullptr) {
    while (!has_room()) {
      Request* victim = running_.back();
      if (GroupedHere(*victim)) {
        if (PreemptGroup(victim, kind.Kind(*victim), out, r)) return false;
        if (any != nullptr) *any = true;
        continue;
      }
      running_.pop_back();
      Preempt(victim, kind.Kind(*victim), out);
      if (any != nullptr) *any = true;
      if (victim == r) return false;
    }
    return true;
  }
  // Request groups (RequestSpec::group). A policy that treats a group as one
  // sets group_requests_ in its constructor.
  bool GroupedHere(const Request& r) const { return group_requests_ && r.spec.group != RequestSpec::kNoGroup; }
  // The live members of `r`'s group in `state` (r among them when it is),
  // in arrival order; just `r` when `r` is in no group or the policy does
  // not group.
  std::vector<Request*> GroupMembers(Request* r, RequestState state) const;
  // Preempts running `victim` and its running group mates (as `kind` says;
  // a policy with swap_multi_member_groups_ swaps a group of several
  // members, as vLLM V0 does), taking each out of running_ and out of this
  // step's sequences; just `victim` when `watch`, the request that needs the
  // room, is its mate. True when `watch` was among them.
  bool PreemptGroup(Request* victim, PreemptKind kind, SchedulerOutput* out, const Request* watch = nullptr);
  // Resumes a swapped group whose room the caller checked: each member is
  // swapped in, grown by its next token and scheduled for one decode step.
  void ResumeSwappedGroup(const std::vector<Request*>& members, SchedulerOutput* out);
  // Takes each of `members` out of `q` (they are in it).
  template <typename Queue>
  static void RemoveMembers(Queue* q, const std::vector<Request*>& members) {
    if (members.size() == 1) {
      q->erase(std::find(q->begin(), q->end(), members[0]));
      return;
    }
    q->erase(std::remove_if(q->begin(), q->end(),
                            [&](const Request* x) {
                              return std::find(members.begin(), members.end(), x) != members.end();
                            }),
             q->end());
  }
  // Preempts `victim` (already removed from running_): swap when `kind` is
  // kSwap and the host tier has room, else recompute (to the front of waiting).
  void Preempt(Request* victim, PreemptKind kind, SchedulerOutput* out);
  // Swaps a swapped request back in; false and no change if blocks lack.
  bool SwapIn(Request* r, SchedulerOutput* out);
  // Ends a request that can never run (larger than the whole device tier).
  void Reject(Request* r, SchedulerOutput* out);
  // True when a request of `tokens` total tokens could never fit the pool.
  bool NeverFits(int64_t tokens) const { return blocks_.BlocksFor(tokens) > blocks_.device_total(); }

  // Preferred kind for this config's --preemption-mode.
  PreemptKind ConfiguredPreemptKind() const {
    return config_.preemption_mode == PreemptMode::kSwap ? PreemptKind::kSwap : PreemptKind::kRecompute;
  }

  SchedulerConfig config_;
  const CostModel* cost_;  // may be null for policies that need no predictions
  BlockManager blocks_;
  std::deque<Request*> waiting_;  // front is served first
  std::vector<Request*> running_; // order of (re)admission; back is newest
  std::deque<Request*> swapped_;  // order of swap-out
  SchedulerCounters counters_;
  bool group_requests_ = false;
  // vLLM V0: "recomputation is not currently supported" for a group of
  // several running sequences; without a user-chosen mode they swap.
  bool swap_multi_member_groups_ = false;

 private:
  bool GrowBy(Request* r, int64_t tokens, int32_t need);
  void EnsureSlot(Request* r);
  // The most leading blocks of `r` a cache hit may cover: those with a hash,
  // leaving at least one token to compute (vLLM V1's num_tokens - 1).
  int32_t MaxCachedBlocks(const Request& r) const;
  // Offers `r`'s newly computed full blocks to the prefix cache.
  void CacheComputedBlocks(Request* r);
  // Appends the hash of the block `r`'s last sampled token filled.
  void AddOutputBlockHash(Request* r, const SeqResult& res);
  void Finish(Request* r, RequestState state, double now);
  void ReleaseBlocks(Request* r);

  std::unordered_map<int64_t, std::unique_ptr<Request>> live_;
  // Live members of each request group, in arrival order.
  std::unordered_map<int64_t, std::vector<Request*>> groups_;
  std::vector<std::unique_ptr<Request>> done_;
  // The request owning each KV slot: a scheduled sequence names its slot,
  // so Update finds its request without a second list per step.
  std::vector<Request*> slot_owner_;
  std::vector<float> gap_log_;
  SchedulerOutput out_;
  int64_t step_ = 0;
  int64_t next_admit_seq_ = 0;
  bool have_output_ = false;
  bool plan_block_tables_ = false;
};

}  // namespace cacheopt
