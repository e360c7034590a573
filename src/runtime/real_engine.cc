#include "runtime/real_engine.h"

#include <algorithm>
#include <limits>
#include <string>

#include "cacheopt/policy_registry.h"
#include "cacheopt/prompt_features.h"
#include "exec/cpu/kv_arena.h"

namespace cacheopt {
namespace {

int32_t ClampBlocks(int64_t n) {
  return static_cast<int32_t>(std::clamp<int64_t>(n, 0, std::numeric_limits<int32_t>::max()));
}

// Device and host block counts from counts, bytes or defaults.
Result<std::pair<int32_t, int32_t>> KvBlocks(const ModelConfig& c, const RealEngineOptions& o) {
  const int64_t block_bytes = KvArena::BlockBytes(c, o.block_size, o.kv_dtype);
  int32_t device = o.device_blocks;
  if (device <= 0) {
    const int64_t bytes = o.device_bytes > 0 ? o.device_bytes : RealEngineOptions::kDefaultDeviceBytes;
    device = ClampBlocks(bytes / block_bytes);
    // The default holds at least one full-context sequence.
    if (o.device_bytes <= 0) device = std::max(device, ClampBlocks((c.context + o.block_size - 1) / o.block_size));
  }
  if (device <= 0)
    return Status::InvalidArgument("the device KV tier holds no block (" + std::to_string(o.device_bytes) +
                                   " bytes; one block of " + std::to_string(o.block_size) + " tokens is " +
                                   std::to_string(block_bytes) + " bytes)");
  int32_t host = o.host_blocks >= 0 ? o.host_blocks
                 : o.host_bytes > 0 ? ClampBlocks(o.host_bytes / block_bytes)
                                    : device;
  return std::make_pair(device, host);
}

}  // namespace

Result<std::unique_ptr<RealEngine>> RealEngine::Create(const RealEngineOptions& opts) {
  // Cheap checks first: loading and calibrating take a while.
  const auto names = PolicyNames();
  if (std::find(names.begin(), names.end(), opts.policy) == names.end())
    return MakeScheduler(opts.policy, {}, nullptr).status();  // lists the valid names
  if (opts.block_size <= 0) return Status::InvalidArgument("block size must be positive");
  if (opts.threads < 0) return Status::InvalidArgument("threads must be >= 0 (0: every hardware thread)");
  auto model = LoadModelSource(opts.model);
  if (!model.ok()) return model.status();
  const ModelConfig& c = (*model)->config;
  auto blocks = KvBlocks(c, opts);
  if (!blocks.ok()) return blocks.status();

  std::unique_ptr<RealEngine> e(new RealEngine(*model, opts));
  e->cost_ = std::make_unique<CpuCostModel>(KvArena::BlockBytes(c, 1, opts.kv_dtype));
  CpuExecutorOptions xo;
  xo.device_blocks = blocks->first;
  xo.host_blocks = blocks->second;
  xo.block_size = opts.block_size;
  xo.threads = opts.threads;
  xo.gemm = opts.gemm;
  xo.kv_dtype = opts.kv_dtype;
  const bool calibrate = !opts.calibrate_only_if_read || PolicyReadsCostModel(opts.policy);
  xo.cost_model = calibrate ? e->cost_.get() : nullptr;
  e->executor_ = std::make_unique<CpuExecutor>(*e->model_, xo);
  e->executor_->set_profile(&e->split_);  // per-step split: a few clock reads
  // Policies read predictions (SLO defaults, budgets) from the start.
  if (!opts.seed_steps.empty()) {
    if (opts.seed_kv_bytes_per_token != KvArena::BlockBytes(c, 1, opts.kv_dtype))
      return Status::InvalidArgument("cost profile " + opts.seed_source + " was measured on a model with " +
                                     std::to_string(opts.seed_kv_bytes_per_token) + " KV bytes per token; this one has " +
                                     std::to_string(KvArena::BlockBytes(c, 1, opts.kv_dtype)));
    for (const CalibrationStep& st : opts.seed_steps) e->cost_->ObserveStep(st.seqs, st.seconds);
    for (const CalibrationCopy& cp : opts.seed_copies) e->cost_->ObserveCopy(cp.blocks, opts.block_size, cp.seconds);
    e->cost_->Fit();
    e->calibration_.shapes = static_cast<int32_t>(opts.seed_steps.size());
  } else if (calibrate) {
    CalibrateOptions co = opts.calibrate;
    co.kv_dtype = opts.kv_dtype;
    Status s = Calibrate(e->executor_->forward(), opts.block_size, e->cost_.get(), co, &e->calibration_);
    if (!s.ok()) return s;
  }

  SchedulerConfig sc;
  sc.block_size = opts.block_size;
  sc.device_blocks = blocks->first;
  sc.host_blocks = blocks->second;
  sc.max_model_len = c.context;
  sc.max_num_seqs = opts.max_num_seqs;
  sc.token_budget = opts.token_budget;
  sc.preemption_mode = opts.preemption_mode;
  sc.device_name = "cpu";
  sc.knobs = opts.knobs;
  sc.keep_gap_log = false;  // a server runs without end; its gaps go to /metrics
  auto sched = MakeScheduler(opts.policy, sc, e->cost_.get());
  if (!sched.ok()) return sched.status();
  e->scheduler_ = std::move(*sched);
  if (opts.kv_events) RecordKvEvents(*e->scheduler_, &e->kv_log_);
  e->session_ = std::make_unique<Session>(e->scheduler_.get(), e->executor_.get(),
                                          SessionOptions{.check_invariants = opts.check_invariants});
  e->step_observer_ = opts.step_observer;
  e->start_ = std::chrono::steady_clock::now();
  return e;
}

RealEngine::RealEngine(std::shared_ptr<const Model> model, const RealEngineOptions& opts)
    : model_(std::move(model)), opts_(opts), tokenizer_(*model_) {}

double RealEngine::Now() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

Result<int64_t> RealEngine::Submit(std::vector<int32_t> prompt, SamplingParams params, int32_t max_tokens,
                                   SloSpec slo, double arrival_s, int64_t group) {
  if (prompt.empty()) return Status::InvalidArgument("empty prompt (a prompt holds at least BOS)");
  if (max_tokens < 1) return Status::InvalidArgument("max_tokens must be >= 1, got " + std::to_string(max_tokens));
  const int64_t context = model_->config.context;
  const int64_t total = static_cast<int64_t>(prompt.size()) + max_tokens;
  if (total > context)
    return Status::OutOfRange("prompt of " + std::to_string(prompt.size()) + " tokens plus max_tokens " +
                              std::to_string(max_tokens) + " is " + std::to_string(total) +
                              " tokens, beyond the model's context of " + std::to_string(context));
  if (params.stop_ids.empty()) params.stop_ids = model_->config.stop_ids;
  const int64_t id = next_id_;
  Live live{params.stop_ids};
  const int32_t prompt_len = static_cast<int32_t>(prompt.size());
  auto features = std::make_shared<const std::vector<uint32_t>>(PromptFeatures(prompt));
  // The prefix cache keys the prompt's full blocks by their content.
  std::shared_ptr<const std::vector<BlockHash>> hashes;
  if (session_->config().prefix_caching)
    hashes = std::make_shared<const std::vector<BlockHash>>(HashFullBlocks(prompt, opts_.block_size));
  Status s = executor_->AddSequence(id, std::move(prompt), std::move(params));
  if (!s.ok()) return s;
  ++next_id_;

  RequestSpec spec;
  spec.id = id;
  const double now = Now();
  spec.arrival_s = arrival_s >= 0 ? std::min(arrival_s, now) : now;
  spec.prompt_tokens = prompt_len;
  spec.group = group == kLeadsGroup ? id : group;
  spec.prompt_features = std::move(features);
  spec.block_hashes = std::move(hashes);
  spec.max_tokens = max_tokens;
  spec.slo_class = slo.slo_class;
  if (slo.tbt_ms > 0 && !slo.class_given) spec.slo_class = NearestSloClass(slo.tbt_ms / 1e3, cost_->SoloDecodeTime(prompt_len), opts_.slo);
  AssignSlo(&spec, *cost_, opts_.slo);
  if (slo.ttft_ms > 0) spec.ttft_slo_s = slo.ttft_ms / 1e3;
  if (slo.tbt_ms > 0) spec.tbt_slo_s = slo.tbt_ms / 1e3;
  session_->Submit(spec);
  live_.emplace(id, std::move(live));
  prompt_tokens_ += prompt_len;
  return id;
}

Status RealEngine::Abort(int64_t id) {
  if (live_.count(id) == 0) return Status::NotFound("no live request " + std::to_string(id));
  session_->Abort(id, Now());
  CollectDone(session_->TakeFinished());
  return Status::Ok();
}

bool RealEngine::Step() {
  StepReport step;
  const CpuExecutorProfile before = split_;
  const auto t0 = std::chrono::steady_clock::now();
  const double loop_s = pending_ ? std::chrono::duration<double>(t0 - last_end_).count() : 0.0;
  Status s = session_->Step(Now(), &step);
  last_end_ = std::chrono::steady_clock::now();
  if (!s.ok() && error_.ok()) error_ = s;
  FillKvEventTokens();
  NoteScheduled(step);
  if (step.ran) {
    last_step_.loop_s = loop_s;
    Record(step, std::chrono::duration<double>(last_end_ - t0).count(), before);
    ++steps_;
  }
  pending_ = session_->HasUnfinished();
  CollectTokens(session_->TakeTokens());
  CollectDone(session_->TakeFinished());
  return step.ran;
}

void RealEngine::FillKvEventTokens() {
  for (KvEvent& e : kv_log_.events()) {
    // Filled already, unless a later step extended the run (a block its
    // output filled next): then the tokens are taken again.
    if (e.kind != KvEventKind::kBlockStored ||
        e.token_ids.size() == e.block_hashes.size() * static_cast<size_t>(e.block_size))
      continue;
    const std::vector<int32_t>* toks = executor_->Tokens(e.request_id);
    if (toks == nullptr) continue;  // cannot happen: stored in the step that computed them
    const size_t from = static_cast<size_t>(e.first_block) * static_cast<size_t>(e.block_size);
    const size_t to = from + e.block_hashes.size() * static_cast<size_t>(e.block_size);
    if (to <= toks->size()) e.token_ids.assign(toks->begin() + static_cast<std::ptrdiff_t>(from),
                                               toks->begin() + static_cast<std::ptrdiff_t>(to));
  }
}

bool RealEngine::ResetPrefixCache() {
  return cacheopt::ResetPrefixCache(*scheduler_);
}

void RealEngine::NoteScheduled(const StepReport& step) {
  if (step.plan == nullptr) return;
  for (const ScheduledSeq& seq : step.plan->seqs) {
    auto live = live_.find(seq.request_id);
    if (live == live_.end() || live->second.scheduled) continue;
    live->second.scheduled = true;
    EventFor(seq.request_id).first_scheduled_s = step.start_s;
  }
}

void RealEngine::Record(const StepReport& step, double wall_s, const CpuExecutorProfile& before) {
  const SchedulerOutput& plan = *step.plan;
  StepRecord& r = last_step_;
  r.step = steps_;
  r.start_s = step.start_s;
  r.ids.clear();
  r.seqs.clear();
  r.prefill.clear();
  for (const ScheduledSeq& q : plan.seqs) {
    r.ids.push_back(q.request_id);
    r.seqs.push_back({q.num_tokens, q.context_before});
    r.prefill.push_back(q.prefill());
  }
  r.swap_out_blocks = static_cast<int64_t>(plan.swap_out.size());
  r.swap_in_blocks = static_cast<int64_t>(plan.swap_in.size());
  r.swap_out_ahead_blocks = static_cast<int64_t>(plan.swap_out_ahead.size());
  r.wall_s = wall_s;
  r.copy_s = split_.copy_s - before.copy_s;
  r.prepare_s = split_.prepare_s - before.prepare_s;
  r.forward_s = split_.forward_s - before.forward_s;
  r.sample_s = split_.sample_s - before.sample_s;
  r.schedule_s = std::max(0.0, wall_s - (split_.total_s() - before.total_s()));
  // The online model has observed this step already (a refit every 32
  // steps moves it little); compute plus copies, as the step ran them.
  r.predicted_s = cost_->StepTime(r.seqs) +
                  cost_->SwapTime(r.swap_out_blocks + r.swap_out_ahead_blocks, r.swap_in_blocks, opts_.block_size);
  if (step_observer_) step_observer_(r);
}

RequestEvent& RealEngine::EventFor(int64_t id) {
  auto [it, inserted] = event_index_.emplace(id, events_.size());
  if (inserted) {
    events_.emplace_back();
    events_.back().id = id;
  }
  return events_[it->second];
}

void RealEngine::CollectTokens(const std::vector<TokenEvent>& tokens) {
  for (const TokenEvent& t : tokens) {
    auto live = live_.find(t.request_id);
    const std::vector<int32_t>* toks = executor_->Tokens(t.request_id);
    if (live == live_.end() || toks == nullptr || toks->size() < 2) continue;  // cannot happen
    const bool stop_token =
        std::find(live->second.stop_ids.begin(), live->second.stop_ids.end(), t.token) != live->second.stop_ids.end();
    RequestEvent& ev = EventFor(t.request_id);
    ev.tokens.push_back(t.token);
    // As Tokenizer::Decode and run.c: BOS, EOS and a stop that ends the
    // sequence print nothing.
    const bool silent = t.token == tokenizer_.bos_id() || t.token == tokenizer_.eos_id() || (t.eos && stop_token);
    std::string piece = silent ? std::string() : tokenizer_.DecodePiece((*toks)[toks->size() - 2], t.token);
    ev.text += piece;
    const std::vector<SampledToken>* lp = executor_->Logprobs(t.request_id);
    if (lp != nullptr && !lp->empty()) {
      ev.logprobs.push_back(lp->back());
      ev.piece_text.push_back(std::move(piece));
    }
    ++generated_tokens_;
  }
}

void RealEngine::CollectDone(std::vector<FinishEvent> finished) {
  for (const FinishEvent& f : finished) {
    const Request& r = *f.record;
    const int64_t id = r.spec.id;
    RequestEvent& ev = EventFor(id);
    ev.finished = true;
    ev.reason = f.reason;
    ev.slo = f.slo;
    ev.prompt_tokens = r.spec.prompt_tokens;
    ev.completion_tokens = r.num_output;
    ev.arrival_s = r.spec.arrival_s;
    ev.first_token_s = r.first_token_s;
    ev.finish_s = r.finish_s;
    ev.preemptions = r.Preemptions();
    ev.cached_tokens = std::max(0, r.prefix_hit_tokens);
    ev.ttft_slo_s = r.spec.ttft_slo_s;
    ev.tbt_slo_s = r.spec.tbt_slo_s;
    ev.slo_class = r.spec.slo_class;
    executor_->RemoveSequence(id);
    live_.erase(id);
  }
}

std::vector<RequestEvent> RealEngine::TakeEvents() {
  event_index_.clear();
  std::vector<RequestEvent> out;
  out.swap(events_);
  return out;
}

Status RealEngine::RunToCompletion(const std::function<void(const RequestEvent&)>& on_event) {
  // Hands the events of each step to `on_event` as they come.
  struct Observer : RunObserver {
    RealEngine* e;
    const std::function<void(const RequestEvent&)>* on_event;
    // Step recording: the session's step runs between two calls, so the
    // time from the end of one call to the start of the next is its wall;
    // the time inside a call (events to the caller) is the loop's.
    std::chrono::steady_clock::time_point mark;
    CpuExecutorProfile before;
    double loop_s = 0;
    Status OnStep(const StepReport& step, StepEvents& events) override {
      const auto t = std::chrono::steady_clock::now();  // before any bookkeeping
      e->FillKvEventTokens();
      e->NoteScheduled(step);
      if (step.ran) {
        e->last_step_.loop_s = loop_s;
        e->Record(step, std::chrono::duration<double>(t - mark).count(), before);
        ++e->steps_;
      }
      e->CollectTokens(events.tokens);
      e->CollectDone(std::move(events.finished));
      for (const RequestEvent& ev : e->TakeEvents()) (*on_event)(ev);
      mark = std::chrono::steady_clock::now();
      loop_s = std::chrono::duration<double>(mark - t).count();
      before = e->split_;
      return Status::Ok();
    }
  } observer;
  observer.e = this;
  observer.on_event = &on_event;
  observer.mark = std::chrono::steady_clock::now();
  observer.before = split_;
  for (const RequestEvent& ev : TakeEvents()) on_event(ev);  // from aborts before the run
  RunOptions ro;
  ro.clock = [this] { return Now(); };
  ro.tokens = true;
  Status s = session_->Run({}, &observer, ro);
  if (!s.ok()) {
    if (error_.ok()) error_ = s;
    return s;
  }
  for (const RequestEvent& ev : TakeEvents()) on_event(ev);
  return Status::Ok();
}

RealEngineStats RealEngine::stats() const {
  const SchedulerState st = session_->state();
  const KvTiers& kv = st.kv;
  const SchedulerCounters& c = st.counters;
  RealEngineStats s;
  s.running = static_cast<size_t>(st.running);
  s.waiting = static_cast<size_t>(st.waiting);
  s.swapped = static_cast<size_t>(st.swapped);
  s.kv_usage = kv.device_total > 0 ? 1.0 - static_cast<double>(kv.device_free) / kv.device_total : 0;
  s.host_kv_usage = kv.host_total > 0 ? 1.0 - static_cast<double>(kv.host_free) / kv.host_total : 0;
  s.preemptions_recompute = c.preemptions_recompute;
  s.prefix_query_tokens = c.prefix_query_tokens;
  s.prefix_hit_tokens = c.prefix_hit_tokens;
  s.preemptions_swap = c.preemptions_swap;
  s.steps = steps_;
  s.prompt_tokens = prompt_tokens_;
  s.generated_tokens = generated_tokens_;
  s.recomputed_tokens = c.recomputed_tokens;
  s.swap_out_blocks = c.swapped_out_blocks;
  s.swap_in_blocks = c.swapped_in_blocks;
  s.lent_blocks = st.lent_blocks;
  s.reserve_blocks_in_use = st.reserve_blocks_in_use;
  s.device_blocks = kv.device_total;
  s.host_blocks = kv.host_total;
  s.cached_blocks = st.cached_blocks;
  s.evictable_blocks = st.evictable_blocks;
  return s;
}

}  // namespace cacheopt
