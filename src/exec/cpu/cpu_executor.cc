#include "exec/cpu/cpu_executor.h"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <span>
#include <string>
#include <thread>

#include "model/tokenizer.h"

namespace cacheopt {
namespace {

int ThreadCount(int32_t requested) {
  if (requested > 0) return requested;
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

CpuExecutor::CpuExecutor(const Model& model, CpuExecutorOptions opts)
    : model_(model),
      opts_(opts),
      pool_(ThreadCount(opts.threads)),
      arena_(model.config, opts.block_size, opts.device_blocks, opts.host_blocks, opts.kv_dtype),
      forward_(model, opts.gemm, &pool_) {}

Status CpuExecutor::AddSequence(int64_t id, std::vector<int32_t> prompt_tokens, SamplingParams params) {
  if (seqs_.count(id) != 0) return Status::InvalidArgument("sequence " + std::to_string(id) + " already exists");
  if (prompt_tokens.empty()) return Status::InvalidArgument("empty prompt");
  const ModelConfig& c = model_.config;
  for (int32_t t : prompt_tokens)
    if (t < 0 || t >= c.vocab_size)
      return Status::OutOfRange("token " + std::to_string(t) + " outside the vocabulary");
  if (c.context > 0 && static_cast<int64_t>(prompt_tokens.size()) > c.context)
    return Status::OutOfRange("prompt of " + std::to_string(prompt_tokens.size()) + " tokens exceeds the context " +
                              std::to_string(c.context));
  Status s = ValidateSamplingParams(params);
  if (!s.ok()) return s;
  if (params.stop_ids.empty()) params.stop_ids = c.stop_ids;
  Sequence q;
  if (params.json_schema) q.grammar = std::make_unique<GrammarState>(params.json_schema, token_trie(), params.stop_ids, &mask_cache_);
  q.prompt_len = static_cast<int32_t>(prompt_tokens.size());
  q.tokens = std::move(prompt_tokens);
  q.params = std::move(params);
  seqs_.emplace(id, std::move(q));
  return Status::Ok();
}

void CpuExecutor::RemoveSequence(int64_t id) { seqs_.erase(id); }

CpuExecutor::Sequence* CpuExecutor::Find(int64_t id) {
  auto it = seqs_.find(id);
  return it == seqs_.end() ? nullptr : &it->second;
}

const std::vector<int32_t>* CpuExecutor::Tokens(int64_t id) const {
  auto it = seqs_.find(id);
  return it == seqs_.end() ? nullptr : &it->second.tokens;
}

std::vector<int32_t> CpuExecutor::GeneratedTokens(int64_t id) const {
  auto it = seqs_.find(id);
  if (it == seqs_.end()) return {};
  const Sequence& q = it->second;
  return {q.tokens.begin() + q.prompt_len, q.tokens.end()};
}

const std::vector<float>* CpuExecutor::LastLogits(int64_t id) const {
  auto it = seqs_.find(id);
  return it == seqs_.end() || it->second.last_logits.empty() ? nullptr : &it->second.last_logits;
}

BlockHash CpuExecutor::HashFilledBlock(Sequence* q) const {
  const size_t bs = static_cast<size_t>(arena_.block_size());
  if (q->tokens.size() % bs != 0) return kNoParent;
  // Catches up over the prompt's blocks once, then one block per fill.
  const std::span<const int32_t> tokens(q->tokens);
  for (size_t b = static_cast<size_t>(q->hashed_blocks); (b + 1) * bs <= tokens.size(); ++b) {
    q->last_hash = HashBlock(q->last_hash, tokens.subspan(b * bs, bs));
    ++q->hashed_blocks;
  }
  return q->last_hash;
}

const std::vector<SampledToken>* CpuExecutor::Logprobs(int64_t id) const {
  auto it = seqs_.find(id);
  return it == seqs_.end() ? nullptr : &it->second.logprobs;
}

const std::shared_ptr<const TokenTrie>& CpuExecutor::token_trie() {
  if (trie_ == nullptr) {
    // What each token prints mid-text (Tokenizer::DecodePiece after a
    // non-BOS token); specials and stop ids print nothing a grammar can use.
    const Tokenizer tok(model_);
    std::vector<std::string> bytes(static_cast<size_t>(model_.config.vocab_size));
    for (int32_t id = 0; id < model_.config.vocab_size; ++id) {
      const bool special = id == tok.bos_id() || id == tok.eos_id() ||
                           std::find(model_.config.stop_ids.begin(), model_.config.stop_ids.end(), id) !=
                               model_.config.stop_ids.end();
      if (!special) bytes[static_cast<size_t>(id)] = tok.DecodePiece(-1, id);
    }
    trie_ = std::make_shared<const TokenTrie>(bytes);
  }
  return trie_;
}

void CpuExecutor::Execute(const SchedulerOutput& step, ExecutorOutput* out) {
  const auto start = std::chrono::steady_clock::now();
  // The copies first: swap-outs free device blocks this step may reuse, and
  // swap-ins must land before the forward pass reads them.
  for (const BlockCopy& b : step.swap_out) arena_.CopyBlock(KvTier::kDevice, b.src, KvTier::kHost, b.dst);
  for (const BlockCopy& b : step.swap_out_ahead) arena_.CopyBlock(KvTier::kDevice, b.src, KvTier::kHost, b.dst);
  for (const BlockCopy& b : step.swap_in) arena_.CopyBlock(KvTier::kHost, b.src, KvTier::kDevice, b.dst);
  const auto copied = std::chrono::steady_clock::now();

  batch_.clear();
  batch_seqs_.clear();
  for (size_t i = 0; i < step.seqs.size(); ++i) {
    const ScheduledSeq& s = step.seqs[i];
    Sequence* q = Find(s.request_id);
    assert(q != nullptr && "request never added to the executor");
    ForwardSeq f;
    if (q != nullptr) {
      // A recompute re-feeds prompt + generated from 0 (context_before = 0).
      assert(s.context_before + s.num_tokens <= static_cast<int32_t>(q->tokens.size()));
      // Only a chunk that reaches the end of the known tokens can emit one.
      assert(!s.emits_token || s.context_before + s.num_tokens == static_cast<int32_t>(q->tokens.size()));
      f.tokens = std::span<const int32_t>(q->tokens).subspan(s.context_before, s.num_tokens);
      f.start_pos = s.context_before;
      f.blocks = step.BlocksOf(i);
      assert(f.blocks.size() * arena_.block_size() >= static_cast<size_t>(s.context_before + s.num_tokens));
      f.want_logits = s.emits_token;
    }
    batch_.push_back(f);
    batch_seqs_.push_back(q);
  }
  const auto prepared = profile_ != nullptr ? std::chrono::steady_clock::now() : copied;
  forward_.Run(batch_, &arena_, &logits_);
  const auto forwarded = profile_ != nullptr ? std::chrono::steady_clock::now() : copied;

  out->results.clear();
  const int32_t vocab = model_.config.vocab_size;
  size_t row = 0;
  for (size_t i = 0; i < step.seqs.size(); ++i) {
    SeqResult res;
    Sequence* q = batch_seqs_[i];
    if (step.seqs[i].emits_token && q == nullptr) {
      res.eos = true;  // unknown request (a caller bug): end it
    } else if (step.seqs[i].emits_token) {
      std::span<const float> l(logits_.data() + row * vocab, vocab);
      ++row;
      SampleContext ctx;
      ctx.prompt = std::span<const int32_t>(q->tokens.data(), static_cast<size_t>(q->prompt_len));
      ctx.output = std::span<const int32_t>(q->tokens).subspan(static_cast<size_t>(q->prompt_len));
      if (q->grammar != nullptr) ctx.allowed = &q->grammar->Mask();
      SampledToken t = sampler_.Sample(l, q->params, ctx);
      if (q->grammar != nullptr && !q->grammar->Accept(t.token)) t.eos = true;  // cannot happen: masked
      q->tokens.push_back(t.token);
      if (q->params.logprobs >= 0) q->logprobs.push_back(t);
      if (opts_.keep_logits) q->last_logits.assign(l.begin(), l.end());
      res.token = t.token;
      res.eos = t.eos;
      res.filled_block_hash = HashFilledBlock(q);
    }
    out->results.push_back(res);
  }
  const auto end = std::chrono::steady_clock::now();
  out->duration_s = std::chrono::duration<double>(end - start).count();
  if (profile_ != nullptr) {
    auto secs = [](auto d) { return std::chrono::duration<double>(d).count(); };
    profile_->copy_s += secs(copied - start);
    profile_->prepare_s += secs(prepared - copied);
    profile_->forward_s += secs(forwarded - prepared);
    profile_->sample_s += secs(end - forwarded);
    ++profile_->steps;
  }
  if (opts_.cost_model != nullptr)
    Observe(step, std::chrono::duration<double>(end - copied).count(),
            std::chrono::duration<double>(copied - start).count());
}

void CpuExecutor::Observe(const SchedulerOutput& step, double compute_s, double copy_s) {
  work_.clear();
  for (const ScheduledSeq& s : step.seqs) work_.push_back({s.num_tokens, s.context_before});
  opts_.cost_model->ObserveStep(work_, compute_s);
  const size_t copies = step.swap_out.size() + step.swap_out_ahead.size() + step.swap_in.size();
  if (copies > 0) opts_.cost_model->ObserveCopy(static_cast<int64_t>(copies), arena_.block_size(), copy_s);
  if (opts_.refit_every > 0 && ++observed_steps_ % opts_.refit_every == 0) opts_.cost_model->Fit();
}

}  // namespace cacheopt
