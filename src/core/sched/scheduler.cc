#include "core/sched/scheduler.h"

#include <algorithm>
#include <cassert>

namespace cacheopt {

Scheduler::Scheduler(const SchedulerConfig& config, const CostModel* cost)
    : config_(config),
      cost_(cost),
      blocks_(config.device_blocks, config.host_blocks, config.block_size, config.prefix_caching) {}

Scheduler::~Scheduler() = default;

void SchedulerDeleter::operator()(Scheduler* s) const { delete s; }

KvTiers KvTiersOf(const Scheduler& s) {
  const BlockManager& b = s.blocks();
  return {.device_total = b.device_total(),
          .device_free = b.device_free(),
          .host_total = b.host_total(),
          .host_free = b.host_free()};
}

SchedulerState StateOf(const Scheduler& s) {
  SchedulerState st;
  st.waiting = static_cast<int64_t>(s.num_waiting());
  st.running = static_cast<int64_t>(s.num_running());
  st.swapped = static_cast<int64_t>(s.num_swapped());
  st.kv = KvTiersOf(s);
  st.cached_blocks = s.blocks().cached_blocks();
  st.evictable_blocks = s.blocks().evictable_blocks();
  st.evictions = s.blocks().evictions();
  st.lent_blocks = s.LentBlocks();
  st.reserve_blocks_in_use = s.ReserveBlocksInUse();
  st.counters = s.counters();
  return st;
}

void RecordKvEvents(Scheduler& s, KvEventLog* log) { s.blocks_.set_event_log(log); }

bool ResetPrefixCache(Scheduler& s) { return s.blocks_.ResetPrefixCache(); }

Request* Scheduler::Add(const RequestSpec& spec) {
  auto owned = std::make_unique<Request>();
  owned->spec = spec;
  Request* r = owned.get();
  bool inserted = live_.emplace(spec.id, std::move(owned)).second;
  assert(inserted && "duplicate request id");
  (void)inserted;
  waiting_.push_back(r);
  if (spec.group != RequestSpec::kNoGroup) groups_[spec.group].push_back(r);
  OnArrival(r, spec.arrival_s);
  return r;
}

const SchedulerOutput& Scheduler::Schedule(double now) {
  assert(!have_output_ && "Schedule called twice without Update");
  out_.Clear();
  out_.step = step_++;
  out_.now = now;
  ScheduleStep(now, &out_);
  if (plan_block_tables_) {
    out_.block_offsets.push_back(0);
    for (const ScheduledSeq& q : out_.seqs) {
      const std::vector<int32_t>& t = blocks_.table(q.slot).device;
      out_.block_ids.insert(out_.block_ids.end(), t.begin(), t.end());
      out_.block_offsets.push_back(static_cast<int32_t>(out_.block_ids.size()));
    }
  }
  counters_.peak_device_used =
      std::max(counters_.peak_device_used, blocks_.device_total() - blocks_.device_free());
  have_output_ = true;
  return out_;
}

void Scheduler::Update(const ExecutorOutput& result, double end_s) {
  assert(have_output_);
  assert(result.results.size() == out_.seqs.size());
  have_output_ = false;
  bool any_done = false;
  const bool caching = config_.prefix_caching;
  for (size_t i = 0; i < out_.seqs.size(); ++i) {
    const ScheduledSeq& s = out_.seqs[i];
    Request* r = slot_owner_[s.slot];
    r->num_computed += s.num_tokens;
    if (caching && r->spec.block_hashes != nullptr) CacheComputedBlocks(r);
    if (!s.emits_token) continue;
    ++r->num_output;
    if (caching && result.results[i].filled_block_hash != kNoParent) AddOutputBlockHash(r, result.results[i]);
    if (r->first_token_s < 0) {
      r->first_token_s = end_s;
    } else {
      double gap = end_s - r->last_token_s;
      r->gaps.Add(gap, r->spec.tbt_slo_s);
      if (config_.keep_gap_log) gap_log_.push_back(static_cast<float>(gap));
    }
    r->last_token_s = end_s;
    if (result.results[i].eos || r->num_output >= r->spec.max_tokens ||
        r->TotalTokens() >= config_.max_model_len) {
      r->stopped = result.results[i].eos;
      Finish(r, RequestState::kFinished, end_s);
      any_done = true;
    }
  }
  if (any_done) {
    running_.erase(std::remove_if(running_.begin(), running_.end(),
                                  [](const Request* r) { return r->Done(); }),
                   running_.end());
  }
}

void Scheduler::Unschedule(SchedulerOutput* out, const Request* r) {
  std::erase_if(out->seqs, [r](const ScheduledSeq& q) { return q.request_id == r->spec.id; });
}

bool Scheduler::Abort(int64_t id, double now) {
  assert(!have_output_);
  auto it = live_.find(id);
  if (it == live_.end()) return false;
  Request* r = it->second.get();
  auto drop = [r](auto& q) { q.erase(std::remove(q.begin(), q.end(), r), q.end()); };
  drop(waiting_);
  drop(running_);
  drop(swapped_);
  Finish(r, RequestState::kAborted, now);
  return true;
}

std::vector<std::unique_ptr<Request>> Scheduler::TakeDone() {
  std::vector<std::unique_ptr<Request>> d;
  d.swap(done_);
  return d;
}

void Scheduler::ReleaseBlocks(Request* r) {
  if (r->kv_slot >= 0) {
    blocks_.ReleaseSlot(r->kv_slot);
    slot_owner_[r->kv_slot] = nullptr;
    r->kv_slot = -1;
    r->cached_blocks = 0;
  }
}

void Scheduler::Finish(Request* r, RequestState state, double now) {
  r->state = state;
  OnEnded(r);
  ReleaseBlocks(r);
  r->finish_s = now;
  if (r->spec.group != RequestSpec::kNoGroup) {
    auto g = groups_.find(r->spec.group);
    assert(g != groups_.end());
    std::erase(g->second, r);
    if (g->second.empty()) groups_.erase(g);
  }
  auto it = live_.find(r->spec.id);
  assert(it != live_.end());
  done_.push_back(std::move(it->second));
  live_.erase(it);
}

void Scheduler::EnsureSlot(Request* r) {
  if (r->kv_slot >= 0) return;
  r->kv_slot = blocks_.NewSlot();
  if (static_cast<size_t>(r->kv_slot) >= slot_owner_.size()) slot_owner_.resize(r->kv_slot + 1, nullptr);
  slot_owner_[r->kv_slot] = r;
}

bool Scheduler::GrowBy(Request* r, int64_t tokens, int32_t need) {
  if (need > blocks_.device_free()) return false;
  EnsureSlot(r);
  bool ok = blocks_.GrowDevice(r->kv_slot, tokens);
  assert(ok);
  return ok;
}

int32_t Scheduler::MaxCachedBlocks(const Request& r) const {
  const int32_t cap = std::max(0, r.TotalTokens() - 1) / blocks_.block_size();
  return r.spec.block_hashes == nullptr ? 0 : std::min(cap, static_cast<int32_t>(r.BlockHashes().size()));
}

PrefixHit Scheduler::CachedPrefix(const Request* r) const {
  if (!config_.prefix_caching || r->kv_slot >= 0 || r->spec.block_hashes == nullptr) return {};
  return blocks_.FindCachedPrefix(r->BlockHashes(), MaxCachedBlocks(*r));
}

bool Scheduler::GrowFromPrefix(Request* r, int64_t tokens, const PrefixHit& hit) {
  assert(r->kv_slot < 0 && r->num_computed == 0);
  if (BlocksToGrow(r, tokens, hit) > blocks_.device_free()) return false;
  if (hit.blocks > 0) {
    EnsureSlot(r);
    blocks_.AttachCached(r->kv_slot, r->BlockHashes(), hit.blocks);
    r->num_computed = CachedTokens(hit);
    r->cached_blocks = hit.blocks;
  }
  const bool ok = Grow(r, tokens);
  assert(ok && "the free count covered the uncached blocks");
  if (config_.prefix_caching) {
    // vLLM V1's prefix-cache stats: tokens looked up, and of those cached.
    counters_.prefix_query_tokens += r->TotalTokens();
    counters_.prefix_hit_tokens += CachedTokens(hit);
    counters_.prefix_query_blocks += MaxCachedBlocks(*r);
    counters_.prefix_hit_blocks += hit.blocks;
    if (r->prefix_hit_tokens < 0) r->prefix_hit_tokens = CachedTokens(hit);
  }
  return ok;
}

void Scheduler::CacheComputedBlocks(Request* r) {
  const std::span<const BlockHash> hashes = r->BlockHashes();
  const int32_t full = std::min<int32_t>(r->num_computed / blocks_.block_size(), static_cast<int32_t>(hashes.size()));
  if (full <= r->cached_blocks) return;
  if (KvEventLog* log = blocks_.event_log()) log->set_owner(r->spec.id);
  blocks_.CacheBlocks(r->kv_slot, hashes, r->cached_blocks, full);
  r->cached_blocks = full;
}

void Scheduler::AddOutputBlockHash(Request* r, const SeqResult& res) {
  // Only a request with prompt hashes chains on, and only the next block in
  // order (the executor reports a block again after a recompute refills it).
  if (r->spec.block_hashes == nullptr) return;
  const int32_t filled = r->TotalTokens() / blocks_.block_size();
  if (r->TotalTokens() % blocks_.block_size() != 0 || static_cast<size_t>(filled) != r->BlockHashes().size() + 1) return;
  if (r->all_block_hashes.empty()) r->all_block_hashes = *r->spec.block_hashes;
  r->all_block_hashes.push_back(res.filled_block_hash);
}

void Scheduler::MarkRunning(Request* r) {
  r->state = RequestState::kRunning;
  r->admit_seq = next_admit_seq_++;
  running_.push_back(r);
}

void Scheduler::Preempt(Request* victim, PreemptKind kind, SchedulerOutput* out) {
  assert(victim->state == RequestState::kRunning);
  int32_t held = victim->kv_slot >= 0
                     ? static_cast<int32_t>(blocks_.table(victim->kv_slot).device.size())
                     : 0;
  if (kind == PreemptKind::kSwap && victim->kv_slot >= 0 &&
      blocks_.SwapOut(victim->kv_slot, &out->swap_out)) {
    victim->state = RequestState::kSwapped;
    // Its device blocks, cached ones included, are released: the copies it
    // swaps back into are private, to be offered to the cache again.
    victim->cached_blocks = 0;
    ++victim->preemptions_swap;
    victim->swapped_blocks += held;
    ++counters_.preemptions_swap;
    counters_.swapped_out_blocks += held;
    swapped_.push_back(victim);
    out->preempted.push_back({victim->spec.id, PreemptKind::kSwap, held});
    return;
  }
  // Recompute: drop the KV; the request re-prefills prompt + generated tokens.
  ReleaseBlocks(victim);
  victim->recomputed_tokens += victim->num_computed;
  counters_.recomputed_tokens += victim->num_computed;
  victim->num_computed = 0;
  victim->state = RequestState::kWaiting;
  ++victim->preemptions_recompute;
  ++counters_.preemptions_recompute;
  // Victims are taken newest first, so pushing each to the front leaves the
  // oldest victim first (vLLM's extendleft / prepend order).
  waiting_.push_front(victim);
  out->preempted.push_back({victim->spec.id, PreemptKind::kRecompute, held});
}

bool Scheduler::SwapIn(Request* r, SchedulerOutput* out) {
  assert(r->state == RequestState::kSwapped && r->kv_slot >= 0);
  int32_t n = static_cast<int32_t>(blocks_.table(r->kv_slot).host.size());
  if (!blocks_.SwapIn(r->kv_slot, &out->swap_in)) return false;
  counters_.swapped_in_blocks += n;
  return true;
}

std::vector<Request*> Scheduler::GroupMembers(Request* r, RequestState state) const {
  if (!GroupedHere(*r)) return {r};
  std::vector<Request*> members;
  for (Request* m : groups_.at(r->spec.group))
    if (m->state == state) members.push_back(m);
  return members;
}

bool Scheduler::PreemptGroup(Request* victim, PreemptKind kind, SchedulerOutput* out, const Request* watch) {
  // A group that outgrows the pool by itself (the request needing room is
  // the victim's mate) yields member by member, as singles do: leaving
  // whole, it would come back whole and outgrow the pool again, for ever.
  std::vector<Request*> members = watch != nullptr && watch != victim && GroupedHere(*watch) &&
                                           watch->spec.group == victim->spec.group
                                       ? std::vector<Request*>{victim}
                                       : GroupMembers(victim, RequestState::kRunning);
  if (swap_multi_member_groups_ && members.size() > 1) kind = PreemptKind::kSwap;
  if (kind == PreemptKind::kSwap && members.size() > 1) {
    // The whole group swaps or none of it (can_swap_out(seq_group)): a
    // host tier without room for all recomputes all.
    int64_t held = 0;
    for (const Request* m : members)
      held += m->kv_slot >= 0 ? static_cast<int64_t>(blocks_.table(m->kv_slot).device.size()) : 0;
    if (held > blocks_.host_free()) kind = PreemptKind::kRecompute;
  }
  RemoveMembers(&running_, members);
  // Newest first, so a recompute's front of waiting keeps them in order.
  bool watched = false;
  for (auto it = members.rbegin(); it != members.rend(); ++it) {
    Request* m = *it;
    if (members.size() > 1) Unschedule(out, m);
    Preempt(m, kind, out);
    watched |= m == watch;
  }
  return watched;
}

void Scheduler::Reject(Request* r, SchedulerOutput* out) {
  out->rejected.push_back(r->spec.id);
  ++counters_.rejected;
  Finish(r, RequestState::kRejected, out->now);
}

Status Scheduler::CheckInvariants() const {
  Status s = blocks_.CheckInvariants();
  if (!s.ok()) return s;
  size_t queued = waiting_.size() + running_.size() + swapped_.size();
  if (queued != live_.size())
    return Status::OutOfRange("queues hold " + std::to_string(queued) + " requests, " +
                              std::to_string(live_.size()) + " are live");
  // Every live slot belongs to a queued request: a slot nobody holds leaks
  // its blocks until the end (found missing by the soak, docs/soak.md).
  int32_t holding = 0;
  for (const Request* r : running_) holding += r->kv_slot >= 0;
  for (const Request* r : swapped_) holding += r->kv_slot >= 0;
  if (holding != blocks_.live_slots())
    return Status::OutOfRange(std::to_string(blocks_.live_slots()) + " KV slots are live, but " +
                              std::to_string(holding) + " running or swapped requests hold one");
  for (const Request* r : running_) {
    if (r->state != RequestState::kRunning) return Status::OutOfRange("non-running request in running queue");
    if (r->kv_slot >= 0 && !blocks_.table(r->kv_slot).host.empty())
      return Status::OutOfRange("running request holds host blocks");
    int32_t held = r->kv_slot >= 0 ? static_cast<int32_t>(blocks_.table(r->kv_slot).device.size()) : 0;
    if (held < blocks_.BlocksFor(r->num_computed))
      return Status::OutOfRange("running request " + std::to_string(r->spec.id) +
                                " holds fewer blocks than its computed tokens");
  }
  for (const Request* r : waiting_) {
    if (r->state != RequestState::kWaiting) return Status::OutOfRange("non-waiting request in waiting queue");
    if (r->kv_slot >= 0 || r->num_computed != 0)
      return Status::OutOfRange("waiting request " + std::to_string(r->spec.id) + " holds KV");
  }
  for (const Request* r : swapped_) {
    if (r->state != RequestState::kSwapped) return Status::OutOfRange("non-swapped request in swapped queue");
    if (r->kv_slot < 0 || !blocks_.table(r->kv_slot).device.empty() ||
        static_cast<int32_t>(blocks_.table(r->kv_slot).host.size()) < blocks_.BlocksFor(r->num_computed))
      return Status::OutOfRange("swapped request " + std::to_string(r->spec.id) + " has a bad table");
  }
  return Status::Ok();
}

void Scheduler::ResumeSwappedGroup(const std::vector<Request*>& members, SchedulerOutput* out) {
  RemoveMembers(&swapped_, members);
  for (Request* m : members) {
    SwapIn(m, out);
    Grow(m, m->num_computed + 1);
    MarkRunning(m);
    AddSeq(out, m, 1);
  }
}

}  // namespace cacheopt
