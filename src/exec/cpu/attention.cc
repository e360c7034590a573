#include "exec/cpu/attention.h"

#include <immintrin.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <vector>

#include "exec/cpu/gemm_kernel.h"

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

// A reduced-precision cache's K and V rows of positions [0, n_pos) of kv head
// g, widened to fp32 [n_pos][hs] (every read of a row gives the same floats).
void WidenSequenceKv(const AttentionSeq& s, int32_t layer, int32_t g, int32_t n_pos, int32_t hs, const KvArena& kv,
                     std::vector<float>* k, std::vector<float>* v) {
  const int32_t bs = kv.block_size();
  k->resize(static_cast<size_t>(n_pos) * hs);
  v->resize(static_cast<size_t>(n_pos) * hs);
  for (int32_t t0 = 0; t0 < n_pos; t0 += bs) {
    const int32_t n = std::min(bs, n_pos - t0);
    kv.LoadRows(KvTier::kDevice, s.blocks[t0 / bs], layer, 0, g, n, k->data() + static_cast<size_t>(t0) * hs);
    kv.LoadRows(KvTier::kDevice, s.blocks[t0 / bs], layer, 1, g, n, v->data() + static_cast<size_t>(t0) * hs);
  }
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
      kv->StoreRow(KvTier::kDevice, block, layer, 0, g, slot, row + k_col + g * hs);
      kv->StoreRow(KvTier::kDevice, block, layer, 1, g, slot, row + v_col + g * hs);
    }
  }
}

// The portable path (and the one for head sizes not a multiple of 8).
void AttendHeadPortable(const ModelConfig& c, const AttentionSeq& s, int32_t layer, int32_t head, const float* q,
                        int64_t ldq, const KvArena& kv, float* out, int64_t ldo) {
  const int32_t hs = c.head_size();
  const int32_t bs = kv.block_size();
  const int32_t g = head / (c.n_heads / c.n_kv_heads);  // GQA: heads share a kv head
  const float scale = std::sqrt(static_cast<float>(hs));
  thread_local std::vector<float> att, kwide, vwide;
  att.resize(static_cast<size_t>(s.start_pos + s.num_tokens));
  const bool wide = kv.dtype() != KvDtype::kF32;
  if (wide) WidenSequenceKv(s, layer, g, s.start_pos + s.num_tokens, hs, kv, &kwide, &vwide);
  for (int32_t i = 0; i < s.num_tokens; ++i) {
    const int32_t pos = s.start_pos + i;
    const float* qh = q + (s.row0 + i) * ldq + head * hs;
    // A sliding window (Mistral) starts at lo; without one lo is 0.
    const int32_t lo = c.sliding_window > 0 ? std::max(0, pos + 1 - c.sliding_window) : 0;
    // Scores, divided by sqrt(hs) as run.c does; four keys at a time
    // within a block (keys of a block are contiguous), the rest one by one.
    for (int32_t t0 = lo - lo % bs; t0 <= pos; t0 += bs) {
      const float* k = wide ? kwide.data() + static_cast<size_t>(t0) * hs : kv.Keys(KvTier::kDevice, s.blocks[t0 / bs], layer, g);
      const int32_t j0 = std::max(0, lo - t0);
      const int32_t n = std::min(bs, pos + 1 - t0);
      int32_t j = j0;
      for (; j + 4 <= n; j += 4) Dot4(qh, k + j * hs, hs, hs, &att[t0 + j]);
      for (; j < n; ++j) att[t0 + j] = Dot(qh, k + j * hs, hs);
      for (j = j0; j < n; ++j) att[t0 + j] /= scale;
    }
    // Softmax in position order.
    float max = att[lo];
    for (int32_t t = lo + 1; t <= pos; ++t) max = att[t] > max ? att[t] : max;
    float sum = 0.0f;
    for (int32_t t = lo; t <= pos; ++t) {
      att[t] = std::exp(att[t] - max);
      sum += att[t];
    }
    for (int32_t t = lo; t <= pos; ++t) att[t] /= sum;
    // Weighted values, accumulated in position order.
    float* o = out + (s.row0 + i) * ldo + head * hs;
    for (int32_t d = 0; d < hs; ++d) o[d] = 0.0f;
    for (int32_t t = lo; t <= pos; ++t) {
      const float* v = wide ? vwide.data() + static_cast<size_t>(t) * hs
                            : kv.Values(KvTier::kDevice, s.blocks[t / bs], layer, g) + (t % bs) * hs;
      Axpy(att[t], v, o, hs);
    }
  }
}

namespace {

// o[0, 8*NC) = sum over t in [0, n) of att[t] * v[t][0, 8*NC), accumulated in
// t order from 0 (Axpy's per-element operations), in registers.
template <int NC>
__attribute__((target("avx2"), always_inline)) inline void WeightedValues(const float* att, const float* const* vrow,
                                                                         int32_t d0, int32_t n, float* o) {
  __m256 acc[NC];
#pragma GCC unroll 8
  for (int c = 0; c < NC; ++c) acc[c] = _mm256_setzero_ps();
  for (int32_t t = 0; t < n; ++t) {
    const __m256 a = _mm256_set1_ps(att[t]);
    const float* v = vrow[t] + d0;
#pragma GCC unroll 8
    for (int c = 0; c < NC; ++c) acc[c] = _mm256_add_ps(acc[c], _mm256_mul_ps(a, _mm256_loadu_ps(v + 8 * c)));
  }
#pragma GCC unroll 8
  for (int c = 0; c < NC; ++c) _mm256_storeu_ps(o + 8 * c, acc[c]);
}

// AttendHeadPortable's arithmetic exactly, element by element, 8 lanes wide:
// AVX without FMA, so no multiply-add is ever fused (as in the portable
// build), and every sum keeps its order:
//  - eight keys' scores at a time: per key the same 8-lane products and
//    accumulation as Dot, and the same reduction tree (hadd pairs lanes
//    (0+1), (2+3), then their sums, then low half + high half), + 0 for
//    Dot's empty tail, / sqrt(hs);
//  - softmax as before (max, exp and the running sum in position order);
//  - the weighted values in position order from 0, kept in registers.
// Row pointers to every cached position come from the block table once per
// (sequence, head).
__attribute__((target("avx2"))) void AttendHeadAvx2(const ModelConfig& c, const AttentionSeq& s, int32_t layer,
                                                     int32_t head, const float* q, int64_t ldq, const KvArena& kv,
                                                     float* out, int64_t ldo) {
  const int32_t hs = c.head_size();
  const int32_t bs = kv.block_size();
  const int32_t g = head / (c.n_heads / c.n_kv_heads);
  const float scale = std::sqrt(static_cast<float>(hs));
  const int32_t n_pos = s.start_pos + s.num_tokens;
  thread_local std::vector<float> att;
  thread_local std::vector<const float*> krow, vrow;
  thread_local std::vector<float> kwide, vwide;
  att.resize(static_cast<size_t>(n_pos));
  krow.resize(static_cast<size_t>(n_pos));
  vrow.resize(static_cast<size_t>(n_pos));
  const bool wide = kv.dtype() != KvDtype::kF32;
  if (wide) WidenSequenceKv(s, layer, g, n_pos, hs, kv, &kwide, &vwide);
  for (int32_t t0 = 0; t0 < n_pos; t0 += bs) {
    const float* kb = wide ? kwide.data() + static_cast<size_t>(t0) * hs : kv.Keys(KvTier::kDevice, s.blocks[t0 / bs], layer, g);
    const float* vb = wide ? vwide.data() + static_cast<size_t>(t0) * hs : kv.Values(KvTier::kDevice, s.blocks[t0 / bs], layer, g);
    const int32_t n = std::min(bs, n_pos - t0);
    for (int32_t j = 0; j < n; ++j) {
      krow[t0 + j] = kb + j * hs;
      vrow[t0 + j] = vb + j * hs;
    }
  }
  const __m256 vscale = _mm256_set1_ps(scale);
  for (int32_t i = 0; i < s.num_tokens; ++i) {
    const int32_t n = s.start_pos + i + 1;  // positions 0..pos
    const float* qh = q + (s.row0 + i) * ldq + head * hs;
    int32_t t = 0;
    for (; t + 8 <= n; t += 8) {
      __m256 a[8];
#pragma GCC unroll 8
      for (int j = 0; j < 8; ++j) a[j] = _mm256_setzero_ps();
      for (int32_t d = 0; d < hs; d += 8) {
        const __m256 qv = _mm256_loadu_ps(qh + d);
#pragma GCC unroll 8
        for (int j = 0; j < 8; ++j) a[j] = _mm256_add_ps(a[j], _mm256_mul_ps(qv, _mm256_loadu_ps(krow[t + j] + d)));
      }
      const __m256 q0 = _mm256_hadd_ps(_mm256_hadd_ps(a[0], a[1]), _mm256_hadd_ps(a[2], a[3]));
      const __m256 q1 = _mm256_hadd_ps(_mm256_hadd_ps(a[4], a[5]), _mm256_hadd_ps(a[6], a[7]));
      __m256 sc = _mm256_add_ps(_mm256_permute2f128_ps(q0, q1, 0x20), _mm256_permute2f128_ps(q0, q1, 0x31));
      sc = _mm256_add_ps(sc, _mm256_setzero_ps());
      _mm256_storeu_ps(&att[t], _mm256_div_ps(sc, vscale));
    }
    for (; t < n; ++t) att[t] = Dot(qh, krow[t], hs) / scale;
    // Softmax in position order.
    float max = att[0];
    for (t = 1; t < n; ++t) max = att[t] > max ? att[t] : max;
    float sum = 0.0f;
    for (t = 0; t < n; ++t) {
      att[t] = std::exp(att[t] - max);
      sum += att[t];
    }
    const __m256 vsum = _mm256_set1_ps(sum);
    for (t = 0; t + 8 <= n; t += 8) _mm256_storeu_ps(&att[t], _mm256_div_ps(_mm256_loadu_ps(&att[t]), vsum));
    for (; t < n; ++t) att[t] /= sum;
    // Weighted values, accumulated in position order.
    float* o = out + (s.row0 + i) * ldo + head * hs;
    for (int32_t d0 = 0; d0 < hs; d0 += 64) {
      switch (std::min(8, (hs - d0) / 8)) {
        case 1: WeightedValues<1>(att.data(), vrow.data(), d0, n, o + d0); break;
        case 2: WeightedValues<2>(att.data(), vrow.data(), d0, n, o + d0); break;
        case 3: WeightedValues<3>(att.data(), vrow.data(), d0, n, o + d0); break;
        case 4: WeightedValues<4>(att.data(), vrow.data(), d0, n, o + d0); break;
        case 5: WeightedValues<5>(att.data(), vrow.data(), d0, n, o + d0); break;
        case 6: WeightedValues<6>(att.data(), vrow.data(), d0, n, o + d0); break;
        case 7: WeightedValues<7>(att.data(), vrow.data(), d0, n, o + d0); break;
        default: WeightedValues<8>(att.data(), vrow.data(), d0, n, o + d0); break;
      }
    }
  }
}

}  // namespace

void AttendHead(const ModelConfig& c, const AttentionSeq& s, int32_t layer, int32_t head, const float* q,
                int64_t ldq, const KvArena& kv, float* out, int64_t ldo) {
  // Sliding-window models take the portable path (the only one with a window).
  if (KernelUsesAvx2() && c.head_size() % 8 == 0 && c.sliding_window == 0) {
    AttendHeadAvx2(c, s, layer, head, q, ldq, kv, out, ldo);
  } else {
    AttendHeadPortable(c, s, layer, head, q, ldq, kv, out, ldo);
  }
}

}  // namespace cacheopt
