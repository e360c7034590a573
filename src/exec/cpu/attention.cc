#include "exec/cpu/attention.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <vector>

namespace cacheopt {
namespace {

using Lanes = float __attribute__((vector_size(32)));  // 8 floats

// q . k in 8 lanes (lane j sums dimensions j, j+8, ...) combined by a fixed
// tree, plus the tail past the last multiple of 8 summed in order: a fixed
// order, so invariant, without one long dependent add chain.
inline float Reduce(const Lanes& x) { return ((x[0] + x[1]) + (x[2] + x[3])) + ((x[4] + x[5]) + (x[6] + x[7])); }

inline float Dot(const float* q, const float* k, int32_t n) {
  Lanes acc = {};
  int32_t d = 0;
  for (; d + 8 <= n; d += 8) {
    Lanes a, b;
    std::memcpy(&a, q + d, sizeof(a));
    std::memcpy(&b, k + d, sizeof(b));
    acc += a * b;
  }
  float tail = 0.0f;
  for (; d < n; ++d) tail += q[d] * k[d];
  return Reduce(acc) + tail;
}

// Dot(q, k + i * ld) for i < 4, interleaved for independent add chains;
// each is the exact operation sequence of Dot.
inline void Dot4(const float* q, const float* k, int64_t ld, int32_t n, float* out) {
  Lanes a0 = {}, a1 = {}, a2 = {}, a3 = {};
  int32_t d = 0;
  for (; d + 8 <= n; d += 8) {
    Lanes a, b0, b1, b2, b3;
    std::memcpy(&a, q + d, sizeof(a));
    std::memcpy(&b0, k + d, sizeof(a));
    std::memcpy(&b1, k + ld + d, sizeof(a));
    std::memcpy(&b2, k + 2 * ld + d, sizeof(a));
    std::memcpy(&b3, k + 3 * ld + d, sizeof(a));
    a0 += a * b0;
    a1 += a * b1;
    a2 += a * b2;
    a3 += a * b3;
  }
  float t0 = 0.0f, t1 = 0.0f, t2 = 0.0f, t3 = 0.0f;
  for (; d < n; ++d) {
    t0 += q[d] * k[d];
    t1 += q[d] * k[ld + d];
    t2 += q[d] * k[2 * ld + d];
    t3 += q[d] * k[3 * ld + d];
  }
  out[0] = Reduce(a0) + t0;
  out[1] = Reduce(a1) + t1;
  out[2] = Reduce(a2) + t2;
  out[3] = Reduce(a3) + t3;
}

// o += a * v, element by element (explicit vectors: GCC -O2 would not
// vectorize this loop, since o and v might overlap).
inline void Axpy(float a, const float* v, float* o, int32_t n) {
  const Lanes av = {a, a, a, a, a, a, a, a};
  int32_t d = 0;
  for (; d + 8 <= n; d += 8) {
    Lanes ov, vv;
    std::memcpy(&ov, o + d, sizeof(ov));
    std::memcpy(&vv, v + d, sizeof(vv));
    ov += av * vv;
    std::memcpy(o + d, &ov, sizeof(ov));
  }
  for (; d < n; ++d) o[d] += a * v[d];
}

}  // namespace

void WriteKv(const ModelConfig& c, const AttentionSeq& s, int32_t layer, const float* qkv, int64_t ld,
             int32_t k_col, int32_t v_col, KvArena* kv) {
  const int32_t hs = c.head_size();
  const int32_t bs = kv->block_size();
  for (int32_t i = 0; i < s.num_tokens; ++i) {
    int32_t pos = s.start_pos + i;
    assert(pos / bs < static_cast<int32_t>(s.blocks.size()));
    int32_t block = s.blocks[pos / bs];
    int32_t slot = pos % bs;
    const float* row = qkv + (s.row0 + i) * ld;
    for (int32_t g = 0; g < c.n_kv_heads; ++g) {
      std::memcpy(kv->Keys(KvTier::kDevice, block, layer, g) + slot * hs, row + k_col + g * hs, sizeof(float) * hs);
      std::memcpy(kv->Values(KvTier::kDevice, block, layer, g) + slot * hs, row + v_col + g * hs,
                  sizeof(float) * hs);
    }
  }
}

void AttendHead(const ModelConfig& c, const AttentionSeq& s, int32_t layer, int32_t head, const float* q,
                int64_t ldq, const KvArena& kv, float* out, int64_t ldo) {
  const int32_t hs = c.head_size();
  const int32_t bs = kv.block_size();
  const int32_t g = head / (c.n_heads / c.n_kv_heads);  // GQA: heads share a kv head
  const float scale = std::sqrt(static_cast<float>(hs));
  thread_local std::vector<float> att;
  att.resize(static_cast<size_t>(s.start_pos + s.num_tokens));
  for (int32_t i = 0; i < s.num_tokens; ++i) {
    const int32_t pos = s.start_pos + i;
    const float* qh = q + (s.row0 + i) * ldq + head * hs;
    // Scores, divided by sqrt(hs) as run.c does; four keys at a time
    // within a block (keys of a block are contiguous), the rest one by one.
    for (int32_t t0 = 0; t0 <= pos; t0 += bs) {
      const float* k = kv.Keys(KvTier::kDevice, s.blocks[t0 / bs], layer, g);
      const int32_t n = std::min(bs, pos + 1 - t0);
      int32_t j = 0;
      for (; j + 4 <= n; j += 4) Dot4(qh, k + j * hs, hs, hs, &att[t0 + j]);
      for (; j < n; ++j) att[t0 + j] = Dot(qh, k + j * hs, hs);
      for (j = 0; j < n; ++j) att[t0 + j] /= scale;
    }
    // Softmax in position order.
    float max = att[0];
    for (int32_t t = 1; t <= pos; ++t) max = att[t] > max ? att[t] : max;
    float sum = 0.0f;
    for (int32_t t = 0; t <= pos; ++t) {
      att[t] = std::exp(att[t] - max);
      sum += att[t];
    }
    for (int32_t t = 0; t <= pos; ++t) att[t] /= sum;
    // Weighted values, accumulated in position order.
    float* o = out + (s.row0 + i) * ldo + head * hs;
    for (int32_t d = 0; d < hs; ++d) o[d] = 0.0f;
    for (int32_t t = 0; t <= pos; ++t) {
      const float* v = kv.Values(KvTier::kDevice, s.blocks[t / bs], layer, g) + (t % bs) * hs;
      Axpy(att[t], v, o, hs);
    }
  }
}

}  // namespace cacheopt
