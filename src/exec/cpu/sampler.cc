#include "exec/cpu/sampler.h"

#include "cacheopt/random/rng.h"

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
  return Status::Ok();
}

uint64_t SplitMixHash(uint64_t x) { return Mix64(x + 0x9E3779B97F4A7C15ULL); }

double UniformAt(uint64_t seed, int64_t index) {
  uint64_t bits = SplitMixHash(SplitMixHash(seed) ^ static_cast<uint64_t>(index));
  return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

int32_t ArgMax(std::span<const float> v) {
  int32_t best = 0;
  for (size_t i = 1; i < v.size(); ++i)
    if (v[i] > v[best]) best = static_cast<int32_t>(i);
  return best;
}

SampledToken Sampler::Sample(std::span<const float> logits, const SamplingParams& p, int32_t generated) {
  const int32_t vocab = static_cast<int32_t>(logits.size());
  work_.assign(logits.begin(), logits.end());
  // min_tokens: a stop token cannot be drawn before it may end the sequence.
  // eos_after plays the model's end-of-sequence: the sequence ends there and
  // nowhere before, so the model's own stop tokens are masked until then.
  const int32_t no_stop_before = p.eos_after > 0 ? std::max(p.min_tokens, p.eos_after) : p.min_tokens;
  if (generated < no_stop_before)
    for (int32_t id : p.stop_ids)
      if (id >= 0 && id < vocab) work_[id] = -std::numeric_limits<float>::infinity();

  int32_t token;
  if (p.temperature == 0) {
    token = ArgMax(work_);
  } else {
    // Softmax at the temperature, in id order.
    float max = work_[ArgMax(work_)];
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
  SampledToken out;
  out.token = token;
  out.eos = count == p.eos_after || (!p.ignore_eos && stop && count >= no_stop_before);
  return out;
}

}  // namespace cacheopt
