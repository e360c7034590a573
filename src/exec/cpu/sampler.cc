#include "exec/cpu/sampler.h"

#include "cacheopt/random/rng.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace cacheopt {

Status ValidateSamplingParams(const SamplingParams& p) {
  if (!(p.temperature >= 0)) return Status::InvalidArgument("temperature must be >= 0");
  if (!(p.top_p > 0 && p.top_p <= 1)) return Status::InvalidArgument("top_p must be in (0, 1]");
  if (p.top_k < 0) return Status::InvalidArgument("top_k must be >= 0");
  if (p.min_tokens < 0) return Status::InvalidArgument("min_tokens must be >= 0");
  if (p.eos_after == 0 || p.eos_after < -1) return Status::InvalidArgument("eos_after must be -1 or positive");
  if (!(p.presence_penalty >= -2 && p.presence_penalty <= 2))
    return Status::InvalidArgument("presence_penalty must be in [-2, 2]");
  if (!(p.frequency_penalty >= -2 && p.frequency_penalty <= 2))
    return Status::InvalidArgument("frequency_penalty must be in [-2, 2]");
  if (!(p.repetition_penalty > 0 && p.repetition_penalty <= 2))
    return Status::InvalidArgument("repetition_penalty must be in (0, 2]");
  for (const auto& [id, bias] : p.logit_bias)
    if (id < 0 || !(bias >= -100 && bias <= 100))
      return Status::InvalidArgument("logit_bias entries need a token id >= 0 and a bias in [-100, 100]");
  if (p.logprobs < -1) return Status::InvalidArgument("logprobs must be >= -1");
  return Status::Ok();
}

uint64_t SplitMixHash(uint64_t x) { return Mix64(x + 0x9E3779B97F4A7C15ULL); }

double UniformAt(uint64_t seed, int64_t index) {
  uint64_t bits = SplitMixHash(SplitMixHash(seed) ^ static_cast<uint64_t>(index));
  return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

namespace {

// log(sum(exp(v - max))) + max, in double.
double LogSumExp(std::span<const float> v) {
  const float max = v[ArgMax(v)];
  double sum = 0;
  for (float x : v) sum += std::exp(static_cast<double>(x) - max);
  return std::log(sum) + max;
}

}  // namespace

float RawLogprob(std::span<const float> logits, int32_t token) {
  return static_cast<float>(logits[token] - LogSumExp(logits));
}

void RawLogprobs(std::span<const float> logits, int32_t top, SampledToken* out) {
  out->top_logprobs.clear();
  if (top <= 0) return;
  const double lse = LogSumExp(logits);
  std::vector<std::pair<float, int32_t>> order;
  order.reserve(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) order.push_back({logits[i], static_cast<int32_t>(i)});
  const size_t k = std::min(order.size(), static_cast<size_t>(top));
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                    [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  for (size_t i = 0; i < k; ++i) out->top_logprobs.push_back({order[i].second, static_cast<float>(order[i].first - lse)});
}

namespace {

int32_t ArgMaxScalar(std::span<const float> v) {
  int32_t best = 0;
  for (size_t i = 1; i < v.size(); ++i)
    if (v[i] > v[best]) best = static_cast<int32_t>(i);
  return best;
}

// The scalar loop's answer in two vector passes: the largest non-NaN value
// (max_ps returns its second operand when the first is NaN, as `>` skips a
// NaN), then the first index holding it (+0 and -0 compare equal, as they do
// for `>`). A NaN at index 0 the scalar loop never leaves: handled first.
__attribute__((target("avx512f"))) int32_t ArgMaxAvx512(std::span<const float> v) {
  const float* p = v.data();
  const size_t n = v.size();
  if (n < 32 || std::isnan(p[0])) return ArgMaxScalar(v);
  __m512 m = _mm512_set1_ps(p[0]);
  size_t i = 0;
  // (mask_max with a full mask is max_ps; its explicit source keeps GCC 12
  // from warning about max_ps's undefined one.)
  for (; i + 16 <= n; i += 16) m = _mm512_mask_max_ps(m, 0xffff, _mm512_loadu_ps(p + i), m);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, m);
  float best = lanes[0];
  for (float l : lanes) best = l > best ? l : best;
  for (; i < n; ++i) best = p[i] > best ? p[i] : best;
  const __m512 b = _mm512_set1_ps(best);
  for (i = 0; i + 16 <= n; i += 16) {
    const __mmask16 eq = _mm512_cmp_ps_mask(_mm512_loadu_ps(p + i), b, _CMP_EQ_OQ);
    if (eq != 0) return static_cast<int32_t>(i + static_cast<size_t>(__builtin_ctz(eq)));
  }
  for (; i < n; ++i)
    if (p[i] == best) return static_cast<int32_t>(i);
  return ArgMaxScalar(v);  // not reached
}

}  // namespace

int32_t ArgMax(std::span<const float> v) {
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  return avx512 ? ArgMaxAvx512(v) : ArgMaxScalar(v);
}

void Sampler::ApplyPenalties(std::span<float> l, const SamplingParams& p, const SampleContext& ctx) {
  const int32_t vocab = static_cast<int32_t>(l.size());
  for (const auto& [id, bias] : p.logit_bias)
    if (id >= 0 && id < vocab) l[id] += bias;
  if (p.repetition_penalty != 1) {
    // vLLM: every token seen in the prompt or the output, once: a positive
    // logit is divided by the penalty, a negative one multiplied.
    seen_.resize(static_cast<size_t>(vocab), 0);
    auto mark = [&](std::span<const int32_t> ids) {
      for (int32_t id : ids) {
        if (id < 0 || id >= vocab || seen_[id]) continue;
        seen_[id] = 1;
        l[id] = l[id] > 0 ? l[id] / p.repetition_penalty : l[id] * p.repetition_penalty;
      }
    };
    mark(ctx.prompt);
    mark(ctx.output);
    for (int32_t id : ctx.prompt) if (id >= 0 && id < vocab) seen_[id] = 0;
    for (int32_t id : ctx.output) if (id >= 0 && id < vocab) seen_[id] = 0;
  }
  if (p.frequency_penalty != 0 || p.presence_penalty != 0) {
    // Over the output only: logit -= frequency * count + presence * (count > 0).
    counts_.resize(static_cast<size_t>(vocab), 0);
    for (int32_t id : ctx.output) if (id >= 0 && id < vocab) ++counts_[id];
    for (int32_t id : ctx.output) {
      if (id < 0 || id >= vocab || counts_[id] == 0) continue;
      l[id] -= p.frequency_penalty * static_cast<float>(counts_[id]) + p.presence_penalty;
      counts_[id] = 0;  // applied once per distinct id; leaves the scratch zeroed
    }
  }
}

SampledToken Sampler::Sample(std::span<const float> logits, const SamplingParams& p, int32_t generated) {
  // No sequence: penalties see no tokens (callers with penalties pass one).
  return SampleAt(logits, p, SampleContext{}, generated);
}

SampledToken Sampler::Sample(std::span<const float> logits, const SamplingParams& p, const SampleContext& ctx) {
  return SampleAt(logits, p, ctx, static_cast<int32_t>(ctx.output.size()));
}

SampledToken Sampler::SampleAt(std::span<const float> logits, const SamplingParams& p, const SampleContext& ctx,
                               int32_t generated) {
  const int32_t vocab = static_cast<int32_t>(logits.size());
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  // min_tokens: a stop token cannot be drawn before it may end the sequence.
  // eos_after plays the model's end-of-sequence: the sequence ends there and
  // nowhere before, so the model's own stop tokens are masked until then.
  const int32_t no_stop_before = p.eos_after > 0 ? std::max(p.min_tokens, p.eos_after) : p.min_tokens;
  const bool mask_stops = generated < no_stop_before && !p.stop_ids.empty();
  const bool penalties = !p.logit_bias.empty() || p.repetition_penalty != 1 || p.frequency_penalty != 0 ||
                         p.presence_penalty != 0;
  // Plain greedy (no mask, no penalty) reads the logits in place: the copy
  // would be equal to them (a decode step's sampling was 5-20% of a 15M
  // model's step before).
  const bool in_place = p.temperature == 0 && ctx.allowed == nullptr && !mask_stops && !penalties;
  std::span<const float> scores = logits;
  if (!in_place) {
    work_.assign(logits.begin(), logits.end());
    if (ctx.allowed != nullptr) {
      for (int32_t i = 0; i < vocab; ++i)
        if (!(*ctx.allowed)[i]) work_[i] = kNegInf;
    }
    if (mask_stops)
      for (int32_t id : p.stop_ids)
        if (id >= 0 && id < vocab) work_[id] = kNegInf;
    ApplyPenalties(work_, p, ctx);
    scores = work_;
  }

  SampledToken out;
  if (p.logprobs >= 0) RawLogprobs(logits, p.logprobs, &out);
  const int32_t best = ArgMax(scores);
  if (scores[best] == kNegInf) {
    // Nothing is drawable (a grammar mask and the stop mask together): end.
    out.token = p.stop_ids.empty() ? best : p.stop_ids.front();
    out.eos = true;
    if (p.logprobs >= 0) out.logprob = RawLogprob(logits, out.token);
    return out;
  }
  int32_t token;
  if (p.temperature == 0) {
    token = best;
  } else {
    // Softmax at the temperature, in id order.
    float max = work_[best];
    double sum = 0;
    for (float& v : work_) {
      v = std::exp((v - max) / p.temperature);
      sum += v;
    }
    order_.clear();
    for (int32_t i = 0; i < vocab; ++i) order_.push_back({static_cast<float>(work_[i] / sum), i});
    size_t keep = order_.size();
    if (p.top_k > 0 || p.top_p < 1) {
      // Most probable first, ties to the lower id: top_k = 1 and a tiny
      // top_p both reduce to greedy. Without a cut, id order is as good.
      auto more = [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
      };
      if (p.top_k > 0) keep = std::min(keep, static_cast<size_t>(p.top_k));
      std::partial_sort(order_.begin(), order_.begin() + static_cast<std::ptrdiff_t>(keep), order_.end(), more);
    }
    if (p.top_p < 1) {
      double mass = 0;
      size_t n = 0;
      while (n < keep) {
        mass += order_[n++].first;
        if (mass >= p.top_p) break;
      }
      keep = n;
    }
    double kept = 0;
    for (size_t i = 0; i < keep; ++i) kept += order_[i].first;
    double u = UniformAt(p.seed, generated) * kept;
    token = order_[keep - 1].second;  // rounding fallback
    double acc = 0;
    for (size_t i = 0; i < keep; ++i) {
      acc += order_[i].first;
      if (u < acc) {
        token = order_[i].second;
        break;
      }
    }
  }

  const int32_t count = generated + 1;  // including this token
  bool stop = std::find(p.stop_ids.begin(), p.stop_ids.end(), token) != p.stop_ids.end();
  out.token = token;
  if (p.logprobs >= 0) out.logprob = RawLogprob(logits, token);
  out.eos = count == p.eos_after || (!p.ignore_eos && stop && count >= no_stop_before);
  return out;
}

}  // namespace cacheopt
