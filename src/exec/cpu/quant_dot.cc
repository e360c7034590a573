#include "exec/cpu/quant_dot.h"

#include <immintrin.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>

#include "model/ggml_blocks.h"
#include "model/half.h"

namespace cacheopt {
namespace {

// Block byte offsets (ggml-common.h; see model/ggml_blocks.cc).
constexpr int kQ8_0Bytes = 34;  // d, qs[32]
constexpr int kQ4_0Bytes = 18;  // d, qs[16]
constexpr int kQ5_0Bytes = 22;  // d, qh[4], qs[16]
constexpr int kQ5_1Bytes = 24;  // d, m, qh[4], qs[16]
constexpr int kQ4_KBytes = 144; // d, dmin, scales[12], qs[128]
constexpr int kQ5_KBytes = 176; // d, dmin, scales[12], qh[32], qs[128]
constexpr int kQ6_KBytes = 210; // ql[128], qh[64], scales[16], d

uint16_t Load16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

void UnpackScaleMinK4(const uint8_t* q, int32_t sc[8], int32_t m[8]) {
  for (int j = 0; j < 4; ++j) {
    sc[j] = q[j] & 63;
    m[j] = q[j + 4] & 63;
  }
  for (int j = 4; j < 8; ++j) {
    sc[j] = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    m[j] = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

// The fixed final reduction: 16 lanes -> 8 -> 4 -> 2 -> 1.
float TreeSum16(const float acc[16]) {
  float t8[8], t4[4], t2[2];
  for (int i = 0; i < 8; ++i) t8[i] = acc[i] + acc[i + 8];
  for (int i = 0; i < 4; ++i) t4[i] = t8[i] + t8[i + 4];
  for (int i = 0; i < 2; ++i) t2[i] = t4[i] + t4[i + 2];
  return t2[0] + t2[1];
}

// ---- Portable path: the definition, written out lane by lane. ----

// p[L] = sum over e in [4L, 4L+4) of w[e] * a[e], exactly.
template <typename W>
void GroupLanes(const W* w, const int8_t* a, int32_t p[8]) {
  for (int L = 0; L < 8; ++L) {
    int32_t s = 0;
    for (int e = 4 * L; e < 4 * L + 4; ++e) s += static_cast<int32_t>(w[e]) * a[e];
    p[L] = s;
  }
}

float DotQ8_0Portable(const uint8_t* w, const ActRowView& a, int32_t k) {
  float acc[16] = {};
  int32_t p[8];
  for (int32_t b = 0; b < k / 32; ++b, w += kQ8_0Bytes) {
    GroupLanes(reinterpret_cast<const int8_t*>(w + 2), a.q + 32 * b, p);
    const float s = HalfToFloat(Load16(w)) * a.d[b];
    float* lanes = acc + 8 * (b & 1);
    for (int L = 0; L < 8; ++L) lanes[L] = std::fma(s, static_cast<float>(p[L]), lanes[L]);
  }
  return TreeSum16(acc);
}

float DotQ4_0Portable(const uint8_t* w, const ActRowView& a, int32_t k) {
  float acc[16] = {}, off = 0;
  int32_t p[8];
  uint8_t u[32];
  for (int32_t b = 0; b < k / 32; ++b, w += kQ4_0Bytes) {
    for (int j = 0; j < 16; ++j) {
      u[j] = w[2 + j] & 0xF;
      u[j + 16] = w[2 + j] >> 4;
    }
    GroupLanes(u, a.q + 32 * b, p);
    const float s = HalfToFloat(Load16(w)) * a.d[b];
    float* lanes = acc + 8 * (b & 1);
    for (int L = 0; L < 8; ++L) lanes[L] = std::fma(s, static_cast<float>(p[L]), lanes[L]);
    off = std::fma(s, static_cast<float>(8 * (a.sum16[2 * b] + a.sum16[2 * b + 1])), off);
  }
  return TreeSum16(acc) - off;
}

// A Q5_0/Q5_1 block's 32 five-bit codes in element order, from its qh (the
// fifth bits, a little-endian word) and qs (low nibbles as Q4_0's).
void UnpackQ5(const uint8_t* qh_bytes, const uint8_t* qs, uint8_t u[32]) {
  uint32_t qh;
  std::memcpy(&qh, qh_bytes, 4);
  for (int j = 0; j < 16; ++j) {
    u[j] = static_cast<uint8_t>((qs[j] & 0xF) | (((qh >> j) & 1) << 4));
    u[j + 16] = static_cast<uint8_t>((qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4));
  }
}

// Q5_0: value d * (q - 16); the -16 goes to the scalar accumulator as Q4_0's -8.
float DotQ5_0Portable(const uint8_t* w, const ActRowView& a, int32_t k) {
  float acc[16] = {}, off = 0;
  int32_t p[8];
  uint8_t u[32];
  for (int32_t b = 0; b < k / 32; ++b, w += kQ5_0Bytes) {
    UnpackQ5(w + 2, w + 6, u);
    GroupLanes(u, a.q + 32 * b, p);
    const float s = HalfToFloat(Load16(w)) * a.d[b];
    float* lanes = acc + 8 * (b & 1);
    for (int L = 0; L < 8; ++L) lanes[L] = std::fma(s, static_cast<float>(p[L]), lanes[L]);
    off = std::fma(s, static_cast<float>(16 * (a.sum16[2 * b] + a.sum16[2 * b + 1])), off);
  }
  return TreeSum16(acc) - off;
}

// Q5_1: value d * q + m; the min times the activation block's s (llama.cpp's
// m * s of block_q8_1) goes, negated, to the scalar accumulator.
float DotQ5_1Portable(const uint8_t* w, const ActRowView& a, int32_t k) {
  float acc[16] = {}, off = 0;
  int32_t p[8];
  uint8_t u[32];
  for (int32_t b = 0; b < k / 32; ++b, w += kQ5_1Bytes) {
    UnpackQ5(w + 4, w + 8, u);
    GroupLanes(u, a.q + 32 * b, p);
    const float s = HalfToFloat(Load16(w)) * a.d[b];
    float* lanes = acc + 8 * (b & 1);
    for (int L = 0; L < 8; ++L) lanes[L] = std::fma(s, static_cast<float>(p[L]), lanes[L]);
    off = std::fma(-HalfToFloat(Load16(w + 2)), a.s[b], off);
  }
  return TreeSum16(acc) - off;
}

// Q4_K and Q5_K: group g of a super-block is sub-block g (32 elements).
template <bool kFive>
float DotQ45_KPortable(const uint8_t* w, const ActRowView& a, int32_t k) {
  float acc[16] = {}, off = 0;
  int32_t p[8];
  uint8_t u[32];
  const int stride = kFive ? kQ5_KBytes : kQ4_KBytes;
  for (int32_t sb = 0; sb < k / kQkK; ++sb, w += stride) {
    int32_t sc[8], m[8];
    UnpackScaleMinK4(w + 4, sc, m);
    const uint8_t* qh = w + 16;
    const uint8_t* qs = w + (kFive ? 48 : 16);
    const int8_t* aq = a.q + kQkK * sb;
    const int32_t* s16 = a.sum16 + 16 * sb;
    int32_t s1[16] = {};
    int32_t s2 = 0;
    for (int g = 0; g < 8; ++g) {
      const int c = g / 2;
      for (int l = 0; l < 32; ++l) {
        int v = (g & 1) ? qs[32 * c + l] >> 4 : qs[32 * c + l] & 0xF;
        if (kFive) v |= ((qh[l] >> g) & 1) << 4;
        u[l] = static_cast<uint8_t>(v);
      }
      GroupLanes(u, aq + 32 * g, p);
      for (int L = 0; L < 8; ++L) s1[8 * (g & 1) + L] += sc[g] * p[L];
      s2 += m[g] * (s16[2 * g] + s16[2 * g + 1]);
    }
    const float da = a.d[sb];
    const float sd = HalfToFloat(Load16(w)) * da, smin = HalfToFloat(Load16(w + 2)) * da;
    for (int L = 0; L < 16; ++L) acc[L] = std::fma(sd, static_cast<float>(s1[L]), acc[L]);
    off = std::fma(smin, static_cast<float>(s2), off);
  }
  return TreeSum16(acc) - off;
}

// Q6_K: group g = 4h + j holds elements 128h + 32j + l; its low four bits are
// in ql[64h + 32(j&1) + l] (low nibble for j < 2), its high two bits at bits
// 2j of qh[32h + l]; elements 16s..16s+15 share scale s.
void Q6Group(const uint8_t* ql, const uint8_t* qh, int g, uint8_t u[32]) {
  const int h = g / 4, j = g % 4;
  for (int l = 0; l < 32; ++l) {
    const uint8_t lo = ql[64 * h + 32 * (j & 1) + l];
    u[l] = static_cast<uint8_t>((j < 2 ? lo & 0xF : lo >> 4) | (((qh[32 * h + l] >> (2 * j)) & 3) << 4));
  }
}

float DotQ6_KPortable(const uint8_t* w, const ActRowView& a, int32_t k) {
  float acc[16] = {}, off = 0;
  int32_t p[8];
  uint8_t u[32];
  for (int32_t sb = 0; sb < k / kQkK; ++sb, w += kQ6_KBytes) {
    const auto* sc = reinterpret_cast<const int8_t*>(w + 192);
    const int8_t* aq = a.q + kQkK * sb;
    const int32_t* s16 = a.sum16 + 16 * sb;
    int32_t s1[16] = {};
    int32_t s2 = 0;
    for (int g = 0; g < 8; ++g) {
      Q6Group(w, w + 128, g, u);
      GroupLanes(u, aq + 32 * g, p);
      for (int L = 0; L < 8; ++L) s1[8 * (g & 1) + L] += sc[2 * g + L / 4] * p[L];
    }
    for (int s = 0; s < 16; ++s) s2 += 32 * sc[s] * s16[s];
    const float sd = HalfToFloat(Load16(w + 208)) * a.d[sb];
    for (int L = 0; L < 16; ++L) acc[L] = std::fma(sd, static_cast<float>(s1[L]), acc[L]);
    off = std::fma(sd, static_cast<float>(s2), off);
  }
  return TreeSum16(acc) - off;
}

// ---- AVX2 path: even groups in one ymm of lanes, odd ones in another. ----

#define AVX2_TARGET __attribute__((target("avx2,fma,f16c")))

AVX2_TARGET inline float Avx2Half(const uint8_t* p) { return _cvtsh_ss(Load16(p)); }

AVX2_TARGET inline float Avx2Finish(__m256 even, __m256 odd, float off) {
  const __m256 t8 = _mm256_add_ps(even, odd);
  const __m128 t4 = _mm_add_ps(_mm256_castps256_ps128(t8), _mm256_extractf128_ps(t8, 1));
  const __m128 t2 = _mm_add_ps(t4, _mm_movehl_ps(t4, t4));
  const float r = _mm_cvtss_f32(_mm_add_ss(t2, _mm_shuffle_ps(t2, t2, 1)));
  return r - off;
}

// Lanes of unsigned weights (< 128) times signed activations.
AVX2_TARGET inline __m256i Avx2LanesU(__m256i wu, __m256i a) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(wu, a), _mm256_set1_epi16(1));
}

AVX2_TARGET float DotQ8_0Avx2(const uint8_t* w, const ActRowView& a, int32_t k) {
  __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
  for (int32_t b = 0; b < k / 32; ++b, w += kQ8_0Bytes) {
    const __m256i wq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 2));
    const __m256i aq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.q + 32 * b));
    const __m256i p = Avx2LanesU(_mm256_sign_epi8(wq, wq), _mm256_sign_epi8(aq, wq));
    const __m256 s = _mm256_set1_ps(Avx2Half(w) * a.d[b]);
    acc[b & 1] = _mm256_fmadd_ps(s, _mm256_cvtepi32_ps(p), acc[b & 1]);
  }
  return Avx2Finish(acc[0], acc[1], 0.0f);
}

AVX2_TARGET float DotQ4_0Avx2(const uint8_t* w, const ActRowView& a, int32_t k) {
  __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
  float off = 0;
  const __m128i lo4 = _mm_set1_epi8(0xF);
  for (int32_t b = 0; b < k / 32; ++b, w += kQ4_0Bytes) {
    const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 2));
    const __m256i wu = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(q, 4), lo4), _mm_and_si128(q, lo4));
    const __m256i aq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.q + 32 * b));
    const float sf = Avx2Half(w) * a.d[b];
    acc[b & 1] = _mm256_fmadd_ps(_mm256_set1_ps(sf), _mm256_cvtepi32_ps(Avx2LanesU(wu, aq)), acc[b & 1]);
    off = std::fma(sf, static_cast<float>(8 * (a.sum16[2 * b] + a.sum16[2 * b + 1])), off);
  }
  return Avx2Finish(acc[0], acc[1], off);
}

// A Q5_0/Q5_1 block's 32 five-bit codes as bytes, element order: the nibbles
// as Q4_0's, plus 16 where bit j of the qh word is set (byte j of the
// broadcast word picks qh byte j/8, then tests its bit j%8).
AVX2_TARGET inline __m256i UnpackQ5Avx2(const uint8_t* qh, const uint8_t* qs) {
  const __m128i lo4 = _mm_set1_epi8(0xF);
  const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m256i nib = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(q, 4), lo4), _mm_and_si128(q, lo4));
  uint32_t h;
  std::memcpy(&h, qh, 4);
  const __m256i pick = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,  //
                                        2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
  const __m256i bytes = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(h)), pick);
  const __m256i bit = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ULL));
  const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(bytes, bit), bit);
  return _mm256_or_si256(nib, _mm256_and_si256(set, _mm256_set1_epi8(0x10)));
}

// Q5_0 and Q5_1 for R activation rows (also the AVX-512 path's: one block per
// step is the definition's order): each block's five-bit codes and scales
// decoded once for the R rows; the one-row kernel is this with R = 1.
template <bool kMin, int R>
AVX2_TARGET void DotQ5Avx2Rows(const uint8_t* w, const ActRowView* a, int32_t k, float* out, int64_t ldo) {
  __m256 acc[R][2];
  float off[R];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps(), off[r] = 0;
  const int bytes = kMin ? kQ5_1Bytes : kQ5_0Bytes, qh = kMin ? 4 : 2;
  for (int32_t b = 0; b < k / 32; ++b, w += bytes) {
    const __m256i wu = UnpackQ5Avx2(w + qh, w + qh + 4);
    const float d = Avx2Half(w);
    [[maybe_unused]] const float m = kMin ? Avx2Half(w + 2) : 0.0f;
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m256i aq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[r].q + 32 * b));
      const float sf = d * a[r].d[b];
      acc[r][b & 1] = _mm256_fmadd_ps(_mm256_set1_ps(sf), _mm256_cvtepi32_ps(Avx2LanesU(wu, aq)), acc[r][b & 1]);
      if constexpr (kMin)
        off[r] = std::fma(-m, a[r].s[b], off[r]);
      else
        off[r] = std::fma(sf, static_cast<float>(16 * (a[r].sum16[2 * b] + a[r].sum16[2 * b + 1])), off[r]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) out[r * ldo] = Avx2Finish(acc[r][0], acc[r][1], off[r]);
}

template <bool kMin>
AVX2_TARGET float DotQ5Avx2(const uint8_t* w, const ActRowView& a, int32_t k) {
  float out;
  DotQ5Avx2Rows<kMin, 1>(w, &a, k, &out, 0);
  return out;
}

template <bool kFive>
AVX2_TARGET float DotQ45_KAvx2(const uint8_t* w, const ActRowView& a, int32_t k) {
  __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
  float off = 0;
  const __m256i lo4 = _mm256_set1_epi8(0xF), one = _mm256_set1_epi8(1);
  const int stride = kFive ? kQ5_KBytes : kQ4_KBytes;
  for (int32_t sb = 0; sb < k / kQkK; ++sb, w += stride) {
    int32_t sc[8], m[8];
    UnpackScaleMinK4(w + 4, sc, m);
    const uint8_t* qs = w + (kFive ? 48 : 16);
    const int8_t* aq = a.q + kQkK * sb;
    const int32_t* s16 = a.sum16 + 16 * sb;
    __m256i s1[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
    [[maybe_unused]] const __m256i qh =
        kFive ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 16)) : _mm256_setzero_si256();
    int32_t s2 = 0;
    for (int c = 0; c < 4; ++c) {
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qs + 32 * c));
      __m256i u0 = _mm256_and_si256(q, lo4);
      __m256i u1 = _mm256_and_si256(_mm256_srli_epi16(q, 4), lo4);
      if constexpr (kFive) {
        u0 = _mm256_or_si256(u0, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * c), one), 4));
        u1 = _mm256_or_si256(u1, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * c + 1), one), 4));
      }
      const __m256i a0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(aq + 64 * c));
      const __m256i a1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(aq + 64 * c + 32));
      s1[0] = _mm256_add_epi32(
          s1[0], _mm256_madd_epi16(_mm256_maddubs_epi16(u0, a0), _mm256_set1_epi16(static_cast<int16_t>(sc[2 * c]))));
      s1[1] = _mm256_add_epi32(s1[1], _mm256_madd_epi16(_mm256_maddubs_epi16(u1, a1),
                                                        _mm256_set1_epi16(static_cast<int16_t>(sc[2 * c + 1]))));
    }
    for (int g = 0; g < 8; ++g) s2 += m[g] * (s16[2 * g] + s16[2 * g + 1]);
    const float da = a.d[sb];
    const __m256 sd = _mm256_set1_ps(Avx2Half(w) * da);
    acc[0] = _mm256_fmadd_ps(sd, _mm256_cvtepi32_ps(s1[0]), acc[0]);
    acc[1] = _mm256_fmadd_ps(sd, _mm256_cvtepi32_ps(s1[1]), acc[1]);
    off = std::fma(Avx2Half(w + 2) * da, static_cast<float>(s2), off);
  }
  return Avx2Finish(acc[0], acc[1], off);
}

AVX2_TARGET float DotQ6_KAvx2(const uint8_t* w, const ActRowView& a, int32_t k) {
  __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
  float off = 0;
  const __m256i lo4 = _mm256_set1_epi8(0xF), three = _mm256_set1_epi8(3);
  for (int32_t sb = 0; sb < k / kQkK; ++sb, w += kQ6_KBytes) {
    const auto* sc = reinterpret_cast<const int8_t*>(w + 192);
    const int8_t* aq = a.q + kQkK * sb;
    const int32_t* s16 = a.sum16 + 16 * sb;
    __m256i s1[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
    for (int h = 0; h < 2; ++h) {
      const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 128 + 32 * h));
      const __m256i qa = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 64 * h));
      const __m256i qb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 64 * h + 32));
      for (int j = 0; j < 4; ++j) {
        const __m256i src = (j & 1) ? qb : qa;
        const __m256i low = j < 2 ? _mm256_and_si256(src, lo4) : _mm256_and_si256(_mm256_srli_epi16(src, 4), lo4);
        const __m256i high = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * j), three), 4);
        const int g = 4 * h + j;
        const __m256i aqv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(aq + 32 * g));
        const __m256i scale = _mm256_set_m128i(_mm_set1_epi16(sc[2 * g + 1]), _mm_set1_epi16(sc[2 * g]));
        s1[g & 1] = _mm256_add_epi32(
            s1[g & 1], _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_or_si256(low, high), aqv), scale));
      }
    }
    int32_t s2 = 0;
    for (int s = 0; s < 16; ++s) s2 += 32 * sc[s] * s16[s];
    const float sdf = Avx2Half(w + 208) * a.d[sb];
    const __m256 sd = _mm256_set1_ps(sdf);
    acc[0] = _mm256_fmadd_ps(sd, _mm256_cvtepi32_ps(s1[0]), acc[0]);
    acc[1] = _mm256_fmadd_ps(sd, _mm256_cvtepi32_ps(s1[1]), acc[1]);
    off = std::fma(sdf, static_cast<float>(s2), off);
  }
  return Avx2Finish(acc[0], acc[1], off);
}

// GCC 12's AVX-512 headers build some results from a self-initialised
// "undefined" vector, which -Wuninitialized flags once inlined: a known
// header false positive, silenced for this path only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

// ---- AVX-512 path: a pair of groups (even, odd) per zmm, lanes 0-7 | 8-15. ----

#define AVX512_TARGET __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c")))

AVX512_TARGET inline float Avx512Finish(__m512 acc, float off) {
  return Avx2Finish(_mm512_castps512_ps256(acc), _mm512_extractf32x8_ps(acc, 1), off);
}

AVX512_TARGET inline __m512i Cat256(__m256i lo, __m256i hi) {
  return _mm512_inserti64x4(_mm512_zextsi256_si512(lo), hi, 1);
}

AVX512_TARGET inline __m512 Pair(float lo, float hi) {
  return _mm512_insertf32x8(_mm512_zextps256_ps512(_mm256_set1_ps(lo)), _mm256_set1_ps(hi), 1);
}

AVX512_TARGET inline __m512i Pair16(int16_t lo, int16_t hi) {
  return Cat256(_mm256_set1_epi16(lo), _mm256_set1_epi16(hi));
}

AVX512_TARGET float DotQ8_0Avx512(const uint8_t* w, const ActRowView& a, int32_t k) {
  __m512 acc = _mm512_setzero_ps();
  const int32_t nb = k / 32;
  const __m512i ones = _mm512_set1_epi16(1);
  int32_t b = 0;
  for (; b + 2 <= nb; b += 2, w += 2 * kQ8_0Bytes) {
    const __m512i wq = Cat256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 2)),
                              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + kQ8_0Bytes + 2)));
    const __m512i aq = _mm512_loadu_si512(a.q + 32 * b);
    const __m512i as = _mm512_mask_sub_epi8(aq, _mm512_movepi8_mask(wq), _mm512_setzero_si512(), aq);
    const __m512i p = _mm512_madd_epi16(_mm512_maddubs_epi16(_mm512_abs_epi8(wq), as), ones);
    const __m512 s = Pair(_cvtsh_ss(Load16(w)) * a.d[b], _cvtsh_ss(Load16(w + kQ8_0Bytes)) * a.d[b + 1]);
    acc = _mm512_fmadd_ps(s, _mm512_cvtepi32_ps(p), acc);
  }
  __m256 even = _mm512_castps512_ps256(acc);
  const __m256 odd = _mm512_extractf32x8_ps(acc, 1);
  if (b < nb) {  // a last even group
    const __m256i wq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 2));
    const __m256i aq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.q + 32 * b));
    const __m256i p = Avx2LanesU(_mm256_sign_epi8(wq, wq), _mm256_sign_epi8(aq, wq));
    even = _mm256_fmadd_ps(_mm256_set1_ps(_cvtsh_ss(Load16(w)) * a.d[b]), _mm256_cvtepi32_ps(p), even);
  }
  return Avx2Finish(even, odd, 0.0f);
}

// DotQ8_0Avx512 for R activation rows against one weight row, each row's
// operations exactly those of DotQ8_0Avx512 (so the same bits); the weight
// bytes, their signs and magnitudes and the block scales are loaded and
// decoded once for all R rows instead of once per row.
template <int R>
AVX512_TARGET void DotQ8_0Avx512Rows(const uint8_t* w, const ActRowView* a, int32_t k, float* out, int64_t ldo) {
  __m512 acc[R];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) acc[r] = _mm512_setzero_ps();
  const int32_t nb = k / 32;
  const __m512i ones = _mm512_set1_epi16(1);
  int32_t b = 0;
  for (; b + 2 <= nb; b += 2, w += 2 * kQ8_0Bytes) {
    const __m512i wq = Cat256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 2)),
                              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + kQ8_0Bytes + 2)));
    const __mmask64 neg = _mm512_movepi8_mask(wq);
    const __m512i wabs = _mm512_abs_epi8(wq);
    const float d0 = _cvtsh_ss(Load16(w)), d1 = _cvtsh_ss(Load16(w + kQ8_0Bytes));
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m512i aq = _mm512_loadu_si512(a[r].q + 32 * b);
      const __m512i as = _mm512_mask_sub_epi8(aq, neg, _mm512_setzero_si512(), aq);
      const __m512i p = _mm512_madd_epi16(_mm512_maddubs_epi16(wabs, as), ones);
      const __m512 sc = Pair(d0 * a[r].d[b], d1 * a[r].d[b + 1]);
      acc[r] = _mm512_fmadd_ps(sc, _mm512_cvtepi32_ps(p), acc[r]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    __m256 even = _mm512_castps512_ps256(acc[r]);
    const __m256 odd = _mm512_extractf32x8_ps(acc[r], 1);
    if (b < nb) {  // a last even group
      const __m256i wq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 2));
      const __m256i aq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[r].q + 32 * b));
      const __m256i p = Avx2LanesU(_mm256_sign_epi8(wq, wq), _mm256_sign_epi8(aq, wq));
      even = _mm256_fmadd_ps(_mm256_set1_ps(_cvtsh_ss(Load16(w)) * a[r].d[b]), _mm256_cvtepi32_ps(p), even);
    }
    out[r * ldo] = Avx2Finish(even, odd, 0.0f);
  }
}

// A Q4_0 block's 32 nibbles as bytes, element order.
AVX2_TARGET inline __m256i UnpackQ4_0(const uint8_t* blk) {
  const __m128i lo4 = _mm_set1_epi8(0xF);
  const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 2));
  return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(q, 4), lo4), _mm_and_si128(q, lo4));
}

// Q4_0 for R activation rows: each pair of blocks' nibbles and scales decoded
// once (the one-row kernel is this with R = 1).
template <int R>
AVX512_TARGET void DotQ4_0Avx512Rows(const uint8_t* w, const ActRowView* a, int32_t k, float* out, int64_t ldo) {
  __m512 acc[R];
  float off[R];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) acc[r] = _mm512_setzero_ps(), off[r] = 0;
  const int32_t nb = k / 32;
  const __m512i ones = _mm512_set1_epi16(1);
  int32_t b = 0;
  for (; b + 2 <= nb; b += 2, w += 2 * kQ4_0Bytes) {
    const __m512i wu = Cat256(UnpackQ4_0(w), UnpackQ4_0(w + kQ4_0Bytes));
    const float d0 = _cvtsh_ss(Load16(w)), d1 = _cvtsh_ss(Load16(w + kQ4_0Bytes));
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m512i p = _mm512_madd_epi16(_mm512_maddubs_epi16(wu, _mm512_loadu_si512(a[r].q + 32 * b)), ones);
      const float s0 = d0 * a[r].d[b], s1 = d1 * a[r].d[b + 1];
      const int32_t* s16 = a[r].sum16 + 2 * b;
      acc[r] = _mm512_fmadd_ps(Pair(s0, s1), _mm512_cvtepi32_ps(p), acc[r]);
      off[r] = std::fma(s0, static_cast<float>(8 * (s16[0] + s16[1])), off[r]);
      off[r] = std::fma(s1, static_cast<float>(8 * (s16[2] + s16[3])), off[r]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    __m256 even = _mm512_castps512_ps256(acc[r]);
    const __m256 odd = _mm512_extractf32x8_ps(acc[r], 1);
    if (b < nb) {  // a last even block
      const __m256i aq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[r].q + 32 * b));
      const float s0 = _cvtsh_ss(Load16(w)) * a[r].d[b];
      even = _mm256_fmadd_ps(_mm256_set1_ps(s0), _mm256_cvtepi32_ps(Avx2LanesU(UnpackQ4_0(w), aq)), even);
      off[r] = std::fma(s0, static_cast<float>(8 * (a[r].sum16[2 * b] + a[r].sum16[2 * b + 1])), off[r]);
    }
    out[r * ldo] = Avx2Finish(even, odd, off[r]);
  }
}

// Q4_K/Q5_K for R activation rows against one weight row: each super-block's
// nibbles, fifth bits, 6-bit scales and mins are decoded once and applied to
// all R rows; each row's operations (and their order) are the one-row
// kernel's, which is this with R = 1.
template <bool kFive, int R>
AVX512_TARGET void DotQ45_KAvx512Rows(const uint8_t* w, const ActRowView* a, int32_t k, float* out, int64_t ldo) {
  __m512 acc[R];
  float off[R];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) acc[r] = _mm512_setzero_ps(), off[r] = 0;
  const __m256i lo4 = _mm256_set1_epi8(0xF), one = _mm256_set1_epi8(1);
  const int stride = kFive ? kQ5_KBytes : kQ4_KBytes;
  for (int32_t sb = 0; sb < k / kQkK; ++sb, w += stride) {
    int32_t sc[8], m[8];
    UnpackScaleMinK4(w + 4, sc, m);
    const uint8_t* qs = w + (kFive ? 48 : 16);
    [[maybe_unused]] const __m256i qh =
        kFive ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 16)) : _mm256_setzero_si256();
    __m512i s1[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) s1[r] = _mm512_setzero_si512();
    for (int c = 0; c < 4; ++c) {
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qs + 32 * c));
      __m256i u0 = _mm256_and_si256(q, lo4);
      __m256i u1 = _mm256_and_si256(_mm256_srli_epi16(q, 4), lo4);
      if constexpr (kFive) {
        u0 = _mm256_or_si256(u0, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * c), one), 4));
        u1 = _mm256_or_si256(u1, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * c + 1), one), 4));
      }
      const __m512i wu = Cat256(u0, u1);
      const __m512i scale = Pair16(static_cast<int16_t>(sc[2 * c]), static_cast<int16_t>(sc[2 * c + 1]));
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) {
        const __m512i prod = _mm512_maddubs_epi16(wu, _mm512_loadu_si512(a[r].q + kQkK * sb + 64 * c));
        s1[r] = _mm512_add_epi32(s1[r], _mm512_madd_epi16(prod, scale));
      }
    }
    const float d = _cvtsh_ss(Load16(w)), dmin = _cvtsh_ss(Load16(w + 2));
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const int32_t* s16 = a[r].sum16 + 16 * sb;
      int32_t s2 = 0;
      for (int g = 0; g < 8; ++g) s2 += m[g] * (s16[2 * g] + s16[2 * g + 1]);
      const float da = a[r].d[sb];
      acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(d * da), _mm512_cvtepi32_ps(s1[r]), acc[r]);
      off[r] = std::fma(dmin * da, static_cast<float>(s2), off[r]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) out[r * ldo] = Avx512Finish(acc[r], off[r]);
}

// Q6_K for R rows: the low nibbles, high bit pairs and scales decoded once.
template <int R>
AVX512_TARGET void DotQ6_KAvx512Rows(const uint8_t* w, const ActRowView* a, int32_t k, float* out, int64_t ldo) {
  __m512 acc[R];
  float off[R];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) acc[r] = _mm512_setzero_ps(), off[r] = 0;
  const __m512i lo4 = _mm512_set1_epi8(0xF);
  const __m256i three = _mm256_set1_epi8(3);
  for (int32_t sb = 0; sb < k / kQkK; ++sb, w += kQ6_KBytes) {
    const auto* sc = reinterpret_cast<const int8_t*>(w + 192);
    __m512i s1[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) s1[r] = _mm512_setzero_si512();
    for (int h = 0; h < 2; ++h) {
      const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 128 + 32 * h));
      const __m512i ql = _mm512_loadu_si512(w + 64 * h);  // groups 4h+0 | 4h+1 (low), 4h+2 | 4h+3 (high)
      for (int j = 0; j < 4; j += 2) {
        const __m512i low = j == 0 ? _mm512_and_si512(ql, lo4) : _mm512_and_si512(_mm512_srli_epi16(ql, 4), lo4);
        const __m512i high =
            Cat256(_mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * j), three), 4),
                   _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * j + 2), three), 4));
        const int g = 4 * h + j;
        const __m512i scale = _mm512_inserti64x4(
            _mm512_zextsi256_si512(_mm256_set_m128i(_mm_set1_epi16(sc[2 * g + 1]), _mm_set1_epi16(sc[2 * g]))),
            _mm256_set_m128i(_mm_set1_epi16(sc[2 * g + 3]), _mm_set1_epi16(sc[2 * g + 2])), 1);
        const __m512i wu = _mm512_or_si512(low, high);
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
          const __m512i prod = _mm512_maddubs_epi16(wu, _mm512_loadu_si512(a[r].q + kQkK * sb + 32 * g));
          s1[r] = _mm512_add_epi32(s1[r], _mm512_madd_epi16(prod, scale));
        }
      }
    }
    const float d = _cvtsh_ss(Load16(w + 208));
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const int32_t* s16 = a[r].sum16 + 16 * sb;
      int32_t s2 = 0;
      for (int s = 0; s < 16; ++s) s2 += 32 * sc[s] * s16[s];
      const float sdf = d * a[r].d[sb];
      acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(sdf), _mm512_cvtepi32_ps(s1[r]), acc[r]);
      off[r] = std::fma(sdf, static_cast<float>(s2), off[r]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) out[r * ldo] = Avx512Finish(acc[r], off[r]);
}

// A multi-row kernel as a type, so one tile loop (TileRowsAvx512) serves every
// weight type, and its one-row form as QuantDotWith's kernel.
struct Q8_0Avx512 {
  template <int R>
  AVX512_TARGET static void Rows(const uint8_t* w, const ActRowView* a, int32_t k, float* out, int64_t ldo) {
    DotQ8_0Avx512Rows<R>(w, a, k, out, ldo);
  }
};
template <bool kFive>
struct Q45_KAvx512 {
  template <int R>
  AVX512_TARGET static void Rows(const uint8_t* w, const ActRowView* a, int32_t k, float* out, int64_t ldo) {
    DotQ45_KAvx512Rows<kFive, R>(w, a, k, out, ldo);
  }
};
struct Q4_0Avx512 {
  template <int R>
  AVX512_TARGET static void Rows(const uint8_t* w, const ActRowView* a, int32_t k, float* out, int64_t ldo) {
    DotQ4_0Avx512Rows<R>(w, a, k, out, ldo);
  }
};
// Q5_0 (kMin false) and Q5_1 have no AVX-512 kernel: the AVX2 one, inlined.
template <bool kMin>
struct Q5Avx2 {
  template <int R>
  AVX512_TARGET static void Rows(const uint8_t* w, const ActRowView* a, int32_t k, float* out, int64_t ldo) {
    DotQ5Avx2Rows<kMin, R>(w, a, k, out, ldo);
  }
};
struct Q6_KAvx512 {
  template <int R>
  AVX512_TARGET static void Rows(const uint8_t* w, const ActRowView* a, int32_t k, float* out, int64_t ldo) {
    DotQ6_KAvx512Rows<R>(w, a, k, out, ldo);
  }
};

template <class K>
AVX512_TARGET float OneRowAvx512(const uint8_t* w, const ActRowView& a, int32_t k) {
  float out;
  K::template Rows<1>(w, &a, k, &out, 0);
  return out;
}

#pragma GCC diagnostic pop

}  // namespace

void QuantizedActs::Quantize(const float* x, int64_t ldx, int32_t rows, int32_t k, int32_t block) {
  assert(block == 32 || block == kQkK);
  assert(k % block == 0);
  block_ = block;
  k_ = k;
  const int32_t nb = k / block;
  d_.resize(static_cast<size_t>(rows) * nb);
  q_.resize(static_cast<size_t>(rows) * k);
  sum16_.resize(static_cast<size_t>(rows) * (k / 16));
  s_.resize(block == 32 ? static_cast<size_t>(rows) * nb : 0);
  for (int32_t r = 0; r < rows; ++r) {
    const float* xr = x + r * ldx;
    int8_t* q = q_.data() + static_cast<size_t>(r) * k;
    for (int32_t b = 0; b < nb; ++b) {
      float amax = 0;
      for (int32_t i = b * block; i < (b + 1) * block; ++i) amax = std::max(amax, std::fabs(xr[i]));
      const float d = amax / 127.0f;
      const float id = amax > 0 ? 127.0f / amax : 0.0f;
      // ggml: quantize_row_q8_0/q8_1 (x86) store d as half; quantize_row_q8_K_ref
      // stores 1/iscale with iscale = -127/max (the sign goes with q's, so
      // d * q is the same as ours).
      d_[static_cast<size_t>(r) * nb + b] = block == 32 ? HalfToFloat(FloatToHalf(d)) : (amax > 0 ? 1.0f / id : 0.0f);
      int32_t sum = 0;
      for (int32_t i = b * block; i < (b + 1) * block; ++i) {
        q[i] = static_cast<int8_t>(std::clamp(std::nearbyint(xr[i] * id), -127.0f, 127.0f));
        sum += q[i];
      }
      if (block == 32) s_[static_cast<size_t>(r) * nb + b] = HalfToFloat(FloatToHalf(d * static_cast<float>(sum)));
    }
    int32_t* s = sum16_.data() + static_cast<size_t>(r) * (k / 16);
    for (int32_t j = 0; j < k / 16; ++j) {
      int32_t t = 0;
      for (int i = 0; i < 16; ++i) t += q[16 * j + i];
      s[j] = t;
    }
  }
}


int32_t ActBlockFor(uint32_t type) {
  switch (type) {
    case kGgmlQ8_0: case kGgmlQ4_0: case kGgmlQ5_0: case kGgmlQ5_1: return 32;
    case kGgmlQ4_K: case kGgmlQ5_K: case kGgmlQ6_K: return kQkK;
    default: return 0;
  }
}

float QuantDotWith(KernelIsa isa, uint32_t type, const uint8_t* w, const ActRowView& a, int32_t k) {
  // Q5_0/Q5_1 (llama-quantize's fallbacks for rows that are not whole K-quant
  // super-blocks): the AVX2 kernel serves the AVX-512 path too.
  if (type == kGgmlQ5_0) return isa == KernelIsa::kPortable ? DotQ5_0Portable(w, a, k) : DotQ5Avx2<false>(w, a, k);
  if (type == kGgmlQ5_1) return isa == KernelIsa::kPortable ? DotQ5_1Portable(w, a, k) : DotQ5Avx2<true>(w, a, k);
  switch (isa) {
    case KernelIsa::kAvx512:
      switch (type) {
        case kGgmlQ8_0: return DotQ8_0Avx512(w, a, k);
        case kGgmlQ4_0: return OneRowAvx512<Q4_0Avx512>(w, a, k);
        case kGgmlQ4_K: return OneRowAvx512<Q45_KAvx512<false>>(w, a, k);
        case kGgmlQ5_K: return OneRowAvx512<Q45_KAvx512<true>>(w, a, k);
        case kGgmlQ6_K: return OneRowAvx512<Q6_KAvx512>(w, a, k);
        default: break;
      }
      break;
    case KernelIsa::kAvx2:
      switch (type) {
        case kGgmlQ8_0: return DotQ8_0Avx2(w, a, k);
        case kGgmlQ4_0: return DotQ4_0Avx2(w, a, k);
        case kGgmlQ4_K: return DotQ45_KAvx2<false>(w, a, k);
        case kGgmlQ5_K: return DotQ45_KAvx2<true>(w, a, k);
        case kGgmlQ6_K: return DotQ6_KAvx2(w, a, k);
        default: break;
      }
      break;
    case KernelIsa::kPortable:
      switch (type) {
        case kGgmlQ8_0: return DotQ8_0Portable(w, a, k);
        case kGgmlQ4_0: return DotQ4_0Portable(w, a, k);
        case kGgmlQ4_K: return DotQ45_KPortable<false>(w, a, k);
        case kGgmlQ5_K: return DotQ45_KPortable<true>(w, a, k);
        case kGgmlQ6_K: return DotQ6_KPortable(w, a, k);
        default: break;
      }
      break;
  }
  assert(false && "QuantDot: type without a quantized kernel");
  return 0.0f;
}

namespace {

KernelIsa QuantIsa() {
  static const KernelIsa isa = [] {
    const KernelIsa best = BestKernelIsa();
    if (best == KernelIsa::kAvx512 && !(__builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
                                        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("f16c")))
      return KernelIsa::kAvx2;
    if (best != KernelIsa::kPortable && !__builtin_cpu_supports("f16c")) return KernelIsa::kPortable;
    return best;
  }();
  return isa;
}

// Tiles take the activation rows four at a time against each weight row
// (K::Rows<4>: the weight row decoded once for the four), the last one to
// three together.
template <class K>
AVX512_TARGET void TileRowsAvx512(const uint8_t* w, uint64_t row_bytes, int32_t cols, const QuantizedActs& acts,
                                  int32_t r0, int32_t r1, int32_t k, float* y, int64_t ldy) {
  for (int32_t c = 0; c < cols; ++c, w += row_bytes) {
    int32_t r = r0;
    for (; r + 4 <= r1; r += 4) {
      const ActRowView a[4] = {acts.Row(r), acts.Row(r + 1), acts.Row(r + 2), acts.Row(r + 3)};
      K::template Rows<4>(w, a, k, y + (r - r0) * ldy + c, ldy);
    }
    const ActRowView a[3] = {acts.Row(std::min(r, r1 - 1)), acts.Row(std::min(r + 1, r1 - 1)),
                             acts.Row(std::min(r + 2, r1 - 1))};
    switch (r1 - r) {
      case 1: K::template Rows<1>(w, a, k, y + (r - r0) * ldy + c, ldy); break;
      case 2: K::template Rows<2>(w, a, k, y + (r - r0) * ldy + c, ldy); break;
      case 3: K::template Rows<3>(w, a, k, y + (r - r0) * ldy + c, ldy); break;
      default: break;
    }
  }
}

}  // namespace

void QuantDotTile(uint32_t type, const uint8_t* w, uint64_t row_bytes, int32_t cols, const QuantizedActs& acts,
                  int32_t r0, int32_t r1, int32_t k, float* y, int64_t ldy) {
  const KernelIsa isa = QuantIsa();
  if (isa == KernelIsa::kAvx512) {
    switch (type) {
      case kGgmlQ8_0: return TileRowsAvx512<Q8_0Avx512>(w, row_bytes, cols, acts, r0, r1, k, y, ldy);
      case kGgmlQ4_0: return TileRowsAvx512<Q4_0Avx512>(w, row_bytes, cols, acts, r0, r1, k, y, ldy);
      case kGgmlQ4_K: return TileRowsAvx512<Q45_KAvx512<false>>(w, row_bytes, cols, acts, r0, r1, k, y, ldy);
      case kGgmlQ5_K: return TileRowsAvx512<Q45_KAvx512<true>>(w, row_bytes, cols, acts, r0, r1, k, y, ldy);
      case kGgmlQ6_K: return TileRowsAvx512<Q6_KAvx512>(w, row_bytes, cols, acts, r0, r1, k, y, ldy);
      case kGgmlQ5_0: return TileRowsAvx512<Q5Avx2<false>>(w, row_bytes, cols, acts, r0, r1, k, y, ldy);
      case kGgmlQ5_1: return TileRowsAvx512<Q5Avx2<true>>(w, row_bytes, cols, acts, r0, r1, k, y, ldy);
      default: break;
    }
  }
  for (int32_t c = 0; c < cols; ++c, w += row_bytes)
    for (int32_t r = r0; r < r1; ++r) y[(r - r0) * ldy + c] = QuantDotWith(isa, type, w, acts.Row(r), k);
}

float QuantDot(uint32_t type, const uint8_t* w, const ActRowView& a, int32_t k) {
  return QuantDotWith(QuantIsa(), type, w, a, k);
}

}  // namespace cacheopt
