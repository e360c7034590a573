#include "model/ggml_blocks.h"

#include <algorithm>
#include <cassert>
#include <cctype>
#include <cmath>
#include <cstring>

#include "model/gguf_types.h"
#include "model/half.h"

namespace cacheopt {
namespace {

// Byte layouts (ggml-common.h). All fields are byte arrays or little-endian
// halves, so the structs have no padding.
struct BlockQ8_0 {
  uint16_t d;
  int8_t qs[32];
};
struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[16];  // element j: low nibble of qs[j]; element j+16: high nibble
};
struct BlockQ5_0 {
  uint16_t d;
  uint8_t qh[4];   // fifth bits: bit j of the little-endian word for element j
  uint8_t qs[16];  // low four bits, as Q4_0
};
struct BlockQ5_1 {
  uint16_t d, m;
  uint8_t qh[4];
  uint8_t qs[16];
};
struct BlockQ4_K {
  uint16_t d, dmin;
  uint8_t scales[12];  // 8 six-bit scales and 8 six-bit mins, packed
  uint8_t qs[128];
};
struct BlockQ5_K {
  uint16_t d, dmin;
  uint8_t scales[12];
  uint8_t qh[32];
  uint8_t qs[128];
};
struct BlockQ6_K {
  uint8_t ql[128];
  uint8_t qh[64];
  int8_t scales[16];
  uint16_t d;
};
static_assert(sizeof(BlockQ5_0) == 22 && sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ8_0) == 34 && sizeof(BlockQ4_0) == 18 && sizeof(BlockQ4_K) == 144 &&
              sizeof(BlockQ5_K) == 176 && sizeof(BlockQ6_K) == 210);

// Sub-block j's six-bit scale and min in a Q4_K/Q5_K scales[12] array.
void ScaleMinK4(int j, const uint8_t* q, uint8_t* sc, uint8_t* m) {
  if (j < 4) {
    *sc = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

// The inverse of ScaleMinK4 for all eight sub-blocks.
void PackScaleMinK4(const uint8_t sc[8], const uint8_t m[8], uint8_t q[12]) {
  std::memset(q, 0, 12);
  for (int j = 0; j < 4; ++j) {
    q[j] = sc[j] & 63;
    q[j + 4] = m[j] & 63;
  }
  for (int j = 4; j < 8; ++j) {
    q[j + 4] = static_cast<uint8_t>((sc[j] & 0xF) | ((m[j] & 0xF) << 4));
    q[j - 4] |= static_cast<uint8_t>((sc[j] >> 4) << 6);
    q[j] |= static_cast<uint8_t>((m[j] >> 4) << 6);
  }
}

float RoundTripHalf(float f) { return HalfToFloat(FloatToHalf(f)); }

int Clamp(long v, int lo, int hi) { return static_cast<int>(std::clamp<long>(v, lo, hi)); }

void DequantQ8_0(const BlockQ8_0* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += 32) {
    const float d = HalfToFloat(b[i].d);
    for (int j = 0; j < 32; ++j) y[j] = b[i].qs[j] * d;
  }
}

void DequantQ4_0(const BlockQ4_0* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += 32) {
    const float d = HalfToFloat(b[i].d);
    for (int j = 0; j < 16; ++j) {
      const int x0 = (b[i].qs[j] & 0x0F) - 8;
      const int x1 = (b[i].qs[j] >> 4) - 8;
      y[j] = x0 * d;
      y[j + 16] = x1 * d;
    }
  }
}

uint32_t Load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Q5_0/Q5_1 element j (0..15) is the low nibble of qs[j] plus bit j of qh;
// element j + 16 the high nibble plus bit j + 16.
void DequantQ5_0(const BlockQ5_0* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += 32) {
    const float d = HalfToFloat(b[i].d);
    const uint32_t qh = Load32(b[i].qh);
    for (int j = 0; j < 16; ++j) {
      const int x0 = ((b[i].qs[j] & 0x0F) | (((qh >> j) & 1) << 4)) - 16;
      const int x1 = ((b[i].qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4)) - 16;
      y[j] = x0 * d;
      y[j + 16] = x1 * d;
    }
  }
}

void DequantQ5_1(const BlockQ5_1* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += 32) {
    const float d = HalfToFloat(b[i].d), m = HalfToFloat(b[i].m);
    const uint32_t qh = Load32(b[i].qh);
    for (int j = 0; j < 16; ++j) {
      const int x0 = (b[i].qs[j] & 0x0F) | (((qh >> j) & 1) << 4);
      const int x1 = (b[i].qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
      y[j] = x0 * d + m;
      y[j + 16] = x1 * d + m;
    }
  }
}

void DequantQ4_K(const BlockQ4_K* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = HalfToFloat(b[i].d), min = HalfToFloat(b[i].dmin);
    const uint8_t* q = b[i].qs;
    for (int is = 0; is < 8; is += 2, q += 32) {
      uint8_t sc, m;
      ScaleMinK4(is, b[i].scales, &sc, &m);
      const float d1 = d * sc, m1 = min * m;
      ScaleMinK4(is + 1, b[i].scales, &sc, &m);
      const float d2 = d * sc, m2 = min * m;
      for (int l = 0; l < 32; ++l) *y++ = d1 * (q[l] & 0xF) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * (q[l] >> 4) - m2;
    }
  }
}

void DequantQ5_K(const BlockQ5_K* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = HalfToFloat(b[i].d), min = HalfToFloat(b[i].dmin);
    const uint8_t* ql = b[i].qs;
    const uint8_t* qh = b[i].qh;
    uint8_t u1 = 1, u2 = 2;
    for (int is = 0; is < 8; is += 2, ql += 32, u1 <<= 2, u2 <<= 2) {
      uint8_t sc, m;
      ScaleMinK4(is, b[i].scales, &sc, &m);
      const float d1 = d * sc, m1 = min * m;
      ScaleMinK4(is + 1, b[i].scales, &sc, &m);
      const float d2 = d * sc, m2 = min * m;
      for (int l = 0; l < 32; ++l) *y++ = d1 * ((ql[l] & 0xF) + (qh[l] & u1 ? 16 : 0)) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * ((ql[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
    }
  }
}

void DequantQ6_K(const BlockQ6_K* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = HalfToFloat(b[i].d);
    const uint8_t* ql = b[i].ql;
    const uint8_t* qh = b[i].qh;
    const int8_t* sc = b[i].scales;
    for (int n = 0; n < kQkK; n += 128, y += 128, ql += 64, qh += 32, sc += 8) {
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int8_t q1 = static_cast<int8_t>((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int8_t q2 = static_cast<int8_t>((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int8_t q3 = static_cast<int8_t>((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int8_t q4 = static_cast<int8_t>((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l] = d * sc[is] * q1;
        y[l + 32] = d * sc[is + 2] * q2;
        y[l + 64] = d * sc[is + 4] * q3;
        y[l + 96] = d * sc[is + 6] * q4;
      }
    }
  }
}

// Symmetric 8-bit: d = amax / 127 (as half), q = round(x / d).
void QuantQ8_0(const float* x, BlockQ8_0* b, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += 32) {
    float amax = 0;
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    b[i].d = FloatToHalf(d);
    for (int j = 0; j < 32; ++j) b[i].qs[j] = static_cast<int8_t>(Clamp(std::lround(x[j] * id), -127, 127));
  }
}

// Q4_0 holds -8..7 times d: the value of largest magnitude maps to -8, so
// its sign picks d's sign and the full 16 levels are used (as ggml does).
void QuantQ4_0(const float* x, BlockQ4_0* b, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += 32) {
    float amax = 0, max = 0;
    for (int j = 0; j < 32; ++j) {
      if (std::fabs(x[j]) > amax) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    const float d = RoundTripHalf(max / -8.0f);
    const float id = d != 0 ? 1.0f / d : 0.0f;
    b[i].d = FloatToHalf(d);
    for (int j = 0; j < 16; ++j) {
      const int q0 = Clamp(std::lround(x[j] * id) + 8, 0, 15);
      const int q1 = Clamp(std::lround(x[j + 16] * id) + 8, 0, 15);
      b[i].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

// Packs 32 five-bit codes (element order) into a Q5_0/Q5_1 block's qs/qh.
void PackQ5(const int q[32], uint8_t qs[16], uint8_t qh_out[4]) {
  uint32_t qh = 0;
  for (int j = 0; j < 16; ++j) {
    qs[j] = static_cast<uint8_t>((q[j] & 0xF) | ((q[j + 16] & 0xF) << 4));
    qh |= static_cast<uint32_t>(q[j] >> 4) << j;
    qh |= static_cast<uint32_t>(q[j + 16] >> 4) << (j + 16);
  }
  std::memcpy(qh_out, &qh, 4);
}

// Q5_0 holds -16..15 times d; as Q4_0, the value of largest magnitude maps to -16.
void QuantQ5_0(const float* x, BlockQ5_0* b, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += 32) {
    float amax = 0, max = 0;
    for (int j = 0; j < 32; ++j) {
      if (std::fabs(x[j]) > amax) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    const float d = RoundTripHalf(max / -16.0f);
    const float id = d != 0 ? 1.0f / d : 0.0f;
    b[i].d = FloatToHalf(d);
    int q[32];
    for (int j = 0; j < 32; ++j) q[j] = Clamp(std::lround(x[j] * id) + 16, 0, 31);
    PackQ5(q, b[i].qs, b[i].qh);
  }
}

// Q5_1: value = d * q + m with q in [0, 31]; m the block's minimum.
void QuantQ5_1(const float* x, BlockQ5_1* b, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += 32) {
    float lo = x[0], hi = x[0];
    for (int j = 1; j < 32; ++j) {
      lo = std::min(lo, x[j]);
      hi = std::max(hi, x[j]);
    }
    const float d = RoundTripHalf((hi - lo) / 31.0f), m = RoundTripHalf(lo);
    const float id = d != 0 ? 1.0f / d : 0.0f;
    b[i].d = FloatToHalf(d);
    b[i].m = FloatToHalf(m);
    int q[32];
    for (int j = 0; j < 32; ++j) q[j] = Clamp(std::lround((x[j] - m) * id), 0, 31);
    PackQ5(q, b[i].qs, b[i].qh);
  }
}

// Q4_K/Q5_K (levels = 15 or 31): per 32-element sub-block, value ~ d*sc*q -
// dmin*m with q in [0, levels]. Each sub-block's range [min(0, lo), hi] sets
// its scale and min; six-bit codes of both relative to the super-block maxima.
template <int kLevels>
void QuantKSuper(const float* x, uint16_t* d_out, uint16_t* dmin_out, uint8_t scales[12], uint8_t q[kQkK]) {
  float scale[8], minv[8];
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < 8; ++j) {
    float lo = 0, hi = 0;
    for (int l = 0; l < 32; ++l) {
      lo = std::min(lo, x[32 * j + l]);
      hi = std::max(hi, x[32 * j + l]);
    }
    scale[j] = (hi - lo) / kLevels;
    minv[j] = -lo;
    max_scale = std::max(max_scale, scale[j]);
    max_min = std::max(max_min, minv[j]);
  }
  const float d = RoundTripHalf(max_scale / 63.0f), dmin = RoundTripHalf(max_min / 63.0f);
  *d_out = FloatToHalf(d);
  *dmin_out = FloatToHalf(dmin);
  uint8_t sc[8], m[8];
  for (int j = 0; j < 8; ++j) {
    sc[j] = static_cast<uint8_t>(d > 0 ? Clamp(std::lround(scale[j] / d), 0, 63) : 0);
    // Round the min up so the sub-block's lowest value stays reachable.
    m[j] = static_cast<uint8_t>(dmin > 0 ? Clamp(static_cast<long>(std::ceil(minv[j] / dmin)), 0, 63) : 0);
    const float step = d * sc[j], offset = dmin * m[j];
    for (int l = 0; l < 32; ++l)
      q[32 * j + l] = static_cast<uint8_t>(step > 0 ? Clamp(std::lround((x[32 * j + l] + offset) / step), 0, kLevels) : 0);
  }
  PackScaleMinK4(sc, m, scales);
}

void QuantQ4_K(const float* x, BlockQ4_K* b, int64_t nb) {
  uint8_t q[kQkK];
  for (int64_t i = 0; i < nb; ++i, x += kQkK) {
    QuantKSuper<15>(x, &b[i].d, &b[i].dmin, b[i].scales, q);
    // Chunk c of 64: elements 0..31 in the low nibbles of qs[32c..], 32..63 in the high.
    for (int c = 0; c < 4; ++c)
      for (int l = 0; l < 32; ++l) b[i].qs[32 * c + l] = static_cast<uint8_t>(q[64 * c + l] | (q[64 * c + 32 + l] << 4));
  }
}

void QuantQ5_K(const float* x, BlockQ5_K* b, int64_t nb) {
  uint8_t q[kQkK];
  for (int64_t i = 0; i < nb; ++i, x += kQkK) {
    QuantKSuper<31>(x, &b[i].d, &b[i].dmin, b[i].scales, q);
    std::memset(b[i].qh, 0, sizeof(b[i].qh));
    for (int c = 0; c < 4; ++c) {
      for (int l = 0; l < 32; ++l) {
        const int lo = q[64 * c + l], hi = q[64 * c + 32 + l];
        b[i].qs[32 * c + l] = static_cast<uint8_t>((lo & 0xF) | ((hi & 0xF) << 4));
        b[i].qh[l] |= static_cast<uint8_t>(((lo >> 4) << (2 * c)) | ((hi >> 4) << (2 * c + 1)));
      }
    }
  }
}

// Q6_K: 16 sub-blocks of 16, value = d * sc * q with q in [-32, 31] and an
// eight-bit signed sc per sub-block.
void QuantQ6_K(const float* x, BlockQ6_K* b, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQkK) {
    float scale[16], max_scale = 0;
    for (int s = 0; s < 16; ++s) {
      float amax = 0;
      for (int l = 0; l < 16; ++l) amax = std::max(amax, std::fabs(x[16 * s + l]));
      scale[s] = amax / 31.0f;
      max_scale = std::max(max_scale, scale[s]);
    }
    const float d = RoundTripHalf(max_scale / 127.0f);
    b[i].d = FloatToHalf(d);
    int q[kQkK];
    for (int s = 0; s < 16; ++s) {
      b[i].scales[s] = static_cast<int8_t>(d > 0 ? Clamp(std::lround(scale[s] / d), -128, 127) : 0);
      const float step = d * b[i].scales[s];
      for (int l = 0; l < 16; ++l)
        q[16 * s + l] = (step > 0 ? Clamp(std::lround(x[16 * s + l] / step), -32, 31) : 0) + 32;
    }
    std::memset(b[i].qh, 0, sizeof(b[i].qh));
    // Half h of 128: element 32k + l (k = 0..3, l = 0..31) keeps its low four
    // bits in ql[64h + l + 32*(k&1)] (low nibble for k < 2, high otherwise)
    // and its high two bits at qh[32h + l] bits 2k..2k+1.
    for (int h = 0; h < 2; ++h) {
      const int* qq = q + 128 * h;
      for (int l = 0; l < 32; ++l) {
        b[i].ql[64 * h + l] = static_cast<uint8_t>((qq[l] & 0xF) | ((qq[l + 64] & 0xF) << 4));
        b[i].ql[64 * h + l + 32] = static_cast<uint8_t>((qq[l + 32] & 0xF) | ((qq[l + 96] & 0xF) << 4));
        b[i].qh[32 * h + l] = static_cast<uint8_t>((qq[l] >> 4) | ((qq[l + 32] >> 4) << 2) | ((qq[l + 64] >> 4) << 4) |
                                                   ((qq[l + 96] >> 4) << 6));
      }
    }
  }
}

}  // namespace

std::optional<GgmlBlockInfo> GgmlBlock(uint32_t type) {
  switch (type) {
    case kGgmlF32: return GgmlBlockInfo{1, 4};
    case kGgmlF16: return GgmlBlockInfo{1, 2};
    case kGgmlBF16: return GgmlBlockInfo{1, 2};
    case kGgmlQ8_0: return GgmlBlockInfo{32, sizeof(BlockQ8_0)};
    case kGgmlQ4_0: return GgmlBlockInfo{32, sizeof(BlockQ4_0)};
    case kGgmlQ5_0: return GgmlBlockInfo{32, sizeof(BlockQ5_0)};
    case kGgmlQ5_1: return GgmlBlockInfo{32, sizeof(BlockQ5_1)};
    case kGgmlQ4_K: return GgmlBlockInfo{kQkK, sizeof(BlockQ4_K)};
    case kGgmlQ5_K: return GgmlBlockInfo{kQkK, sizeof(BlockQ5_K)};
    case kGgmlQ6_K: return GgmlBlockInfo{kQkK, sizeof(BlockQ6_K)};
    default: return std::nullopt;
  }
}

bool GgmlTypeSupported(uint32_t type) { return GgmlBlock(type).has_value(); }

std::optional<uint64_t> GgmlRowBytes(uint32_t type, int64_t n) {
  const auto b = GgmlBlock(type);
  if (!b || n < 0 || n % b->block_elems != 0) return std::nullopt;
  return static_cast<uint64_t>(n / b->block_elems) * b->block_bytes;
}

std::string GgmlSupportedTypeNames() { return "F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K"; }

std::optional<uint32_t> GgmlTypeFromName(const std::string& name) {
  std::string up;
  for (char c : name) up += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (uint32_t t : {uint32_t{kGgmlF32}, uint32_t{kGgmlF16}, uint32_t{kGgmlBF16}, uint32_t{kGgmlQ8_0},
                     uint32_t{kGgmlQ4_0}, uint32_t{kGgmlQ5_0}, uint32_t{kGgmlQ5_1}, uint32_t{kGgmlQ4_K},
                     uint32_t{kGgmlQ5_K}, uint32_t{kGgmlQ6_K}})
    if (GgmlTypeName(t) == up) return t;
  return std::nullopt;
}

float Bf16ToFloat(uint16_t h) {
  const uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

uint16_t FloatToBf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);  // quiet NaN
  return static_cast<uint16_t>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

void DequantizeRow(uint32_t type, const void* src, float* y, int64_t n) {
  const auto b = GgmlBlock(type);
  assert(b && n % b->block_elems == 0);
  const int64_t nb = n / b->block_elems;
  switch (type) {
    case kGgmlF32: std::memcpy(y, src, sizeof(float) * n); break;
    case kGgmlF16: {
      const auto* h = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) y[i] = HalfToFloat(h[i]);
      break;
    }
    case kGgmlBF16: {
      const auto* h = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) y[i] = Bf16ToFloat(h[i]);
      break;
    }
    case kGgmlQ8_0: DequantQ8_0(static_cast<const BlockQ8_0*>(src), y, nb); break;
    case kGgmlQ4_0: DequantQ4_0(static_cast<const BlockQ4_0*>(src), y, nb); break;
    case kGgmlQ5_0: DequantQ5_0(static_cast<const BlockQ5_0*>(src), y, nb); break;
    case kGgmlQ5_1: DequantQ5_1(static_cast<const BlockQ5_1*>(src), y, nb); break;
    case kGgmlQ4_K: DequantQ4_K(static_cast<const BlockQ4_K*>(src), y, nb); break;
    case kGgmlQ5_K: DequantQ5_K(static_cast<const BlockQ5_K*>(src), y, nb); break;
    case kGgmlQ6_K: DequantQ6_K(static_cast<const BlockQ6_K*>(src), y, nb); break;
    default: break;
  }
}

void QuantizeRow(uint32_t type, const float* x, void* dst, int64_t n) {
  const auto b = GgmlBlock(type);
  assert(b && n % b->block_elems == 0);
  const int64_t nb = n / b->block_elems;
  switch (type) {
    case kGgmlF32: std::memcpy(dst, x, sizeof(float) * n); break;
    case kGgmlF16: {
      auto* h = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) h[i] = FloatToHalf(x[i]);
      break;
    }
    case kGgmlBF16: {
      auto* h = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) h[i] = FloatToBf16(x[i]);
      break;
    }
    case kGgmlQ8_0: QuantQ8_0(x, static_cast<BlockQ8_0*>(dst), nb); break;
    case kGgmlQ4_0: QuantQ4_0(x, static_cast<BlockQ4_0*>(dst), nb); break;
    case kGgmlQ5_0: QuantQ5_0(x, static_cast<BlockQ5_0*>(dst), nb); break;
    case kGgmlQ5_1: QuantQ5_1(x, static_cast<BlockQ5_1*>(dst), nb); break;
    case kGgmlQ4_K: QuantQ4_K(x, static_cast<BlockQ4_K*>(dst), nb); break;
    case kGgmlQ5_K: QuantQ5_K(x, static_cast<BlockQ5_K*>(dst), nb); break;
    case kGgmlQ6_K: QuantQ6_K(x, static_cast<BlockQ6_K*>(dst), nb); break;
    default: break;
  }
}

}  // namespace cacheopt
