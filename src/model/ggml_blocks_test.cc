#include "model/ggml_blocks.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "model/gguf_types.h"
#include "model/half.h"

namespace cacheopt {
namespace {

void Put16(std::vector<uint8_t>* b, size_t at, uint16_t v) { std::memcpy(b->data() + at, &v, 2); }

constexpr uint16_t kHalfOne = 0x3C00, kHalfHalf = 0x3800, kHalfQuarter = 0x3400;

TEST(GgmlBlocks, Geometry) {
  EXPECT_EQ(*GgmlRowBytes(kGgmlQ8_0, 64), 68u);
  EXPECT_EQ(*GgmlRowBytes(kGgmlQ4_0, 32), 18u);
  EXPECT_EQ(*GgmlRowBytes(kGgmlQ4_K, 512), 288u);
  EXPECT_EQ(*GgmlRowBytes(kGgmlQ5_K, 256), 176u);
  EXPECT_EQ(*GgmlRowBytes(kGgmlQ6_K, 256), 210u);
  EXPECT_EQ(*GgmlRowBytes(kGgmlBF16, 3), 6u);
  EXPECT_FALSE(GgmlRowBytes(kGgmlQ4_K, 288).has_value());  // not whole super-blocks
  EXPECT_EQ(*GgmlRowBytes(kGgmlQ5_0, 64), 44u);
  EXPECT_EQ(*GgmlRowBytes(kGgmlQ5_1, 32), 24u);
  EXPECT_FALSE(GgmlRowBytes(kGgmlQ5_1, 48).has_value());
  EXPECT_FALSE(GgmlBlock(20).has_value());                  // IQ4_NL: not supported
  EXPECT_EQ(GgmlTypeFromName("q4_k"), kGgmlQ4_K);
  EXPECT_EQ(GgmlTypeFromName("BF16"), kGgmlBF16);
  EXPECT_EQ(GgmlTypeFromName("q5_0"), kGgmlQ5_0);
  EXPECT_EQ(GgmlTypeFromName("Q5_1"), kGgmlQ5_1);
  EXPECT_FALSE(GgmlTypeFromName("IQ4_NL").has_value());
}

// Blocks written byte by byte, their values worked out by hand from the
// layouts in ggml-common.h.
TEST(GgmlBlocks, DequantizesHandBuiltQ8_0) {
  std::vector<uint8_t> b(34, 0);
  Put16(&b, 0, kHalfHalf);  // d = 0.5
  b[2] = 3;
  b[3] = static_cast<uint8_t>(-4);
  b[33] = 127;
  std::vector<float> y(32);
  DequantizeRow(kGgmlQ8_0, b.data(), y.data(), 32);
  EXPECT_EQ(y[0], 1.5f);
  EXPECT_EQ(y[1], -2.0f);
  EXPECT_EQ(y[2], 0.0f);
  EXPECT_EQ(y[31], 63.5f);
}

TEST(GgmlBlocks, DequantizesHandBuiltQ4_0) {
  std::vector<uint8_t> b(18, 0x88);  // every nibble 8 -> 0
  Put16(&b, 0, kHalfQuarter);        // d = 0.25
  b[2] = 0x1F;  // element 0: 15 - 8 = 7; element 16: 1 - 8 = -7
  std::vector<float> y(32);
  DequantizeRow(kGgmlQ4_0, b.data(), y.data(), 32);
  EXPECT_EQ(y[0], 1.75f);
  EXPECT_EQ(y[16], -1.75f);
  EXPECT_EQ(y[1], 0.0f);
}

// Q5_0: d, then qh (bit j = fifth bit of element j, little-endian word),
// then qs as Q4_0's; value d * (q - 16).
TEST(GgmlBlocks, DequantizesHandBuiltQ5_0) {
  std::vector<uint8_t> b(22, 0);
  Put16(&b, 0, kHalfHalf);  // d = 0.5
  b[2] = 0x01;              // qh bit 0: element 0 has its fifth bit
  b[4] = 0x01;              // qh bit 16: element 16 too
  b[5] = 0x80;              // qh bit 31: element 31 too
  b[6] = 0x3F;              // element 0: 15 + 16 = 31 -> 15; element 16: 3 + 16 = 19 -> 3
  b[7] = 0x02;              // element 1: 2 (no fifth bit) -> -14; element 17: 0 -> -16
  b[21] = 0xF0;             // element 31: 15 + 16 = 31 -> 15; element 15: 0 -> -16
  std::vector<float> y(32);
  DequantizeRow(kGgmlQ5_0, b.data(), y.data(), 32);
  EXPECT_EQ(y[0], 7.5f);
  EXPECT_EQ(y[16], 1.5f);
  EXPECT_EQ(y[1], -7.0f);
  EXPECT_EQ(y[17], -8.0f);
  EXPECT_EQ(y[31], 7.5f);
  EXPECT_EQ(y[15], -8.0f);
}

// Q5_1: d, m, qh, qs; value d * q + m.
TEST(GgmlBlocks, DequantizesHandBuiltQ5_1) {
  std::vector<uint8_t> b(24, 0);
  Put16(&b, 0, kHalfQuarter);  // d = 0.25
  Put16(&b, 2, 0xBC00);        // m = -1
  b[4] = 0x02;                 // qh bit 1: element 1 has its fifth bit
  b[7] = 0x40;                 // qh bit 30: element 30 too
  b[8] = 0xA5;                 // element 0: 5; element 16: 10
  b[9] = 0x01;                 // element 1: 1 + 16 = 17
  b[22] = 0xF0;                // element 30: 15 + 16 = 31
  std::vector<float> y(32);
  DequantizeRow(kGgmlQ5_1, b.data(), y.data(), 32);
  EXPECT_EQ(y[0], 0.25f);   // 5/4 - 1
  EXPECT_EQ(y[16], 1.5f);   // 10/4 - 1
  EXPECT_EQ(y[1], 3.25f);   // 17/4 - 1
  EXPECT_EQ(y[30], 6.75f);  // 31/4 - 1
  EXPECT_EQ(y[2], -1.0f);
}

// Scales shared by the Q4_K and Q5_K blocks below: sub-block 0 has scale 2
// and min 3; sub-block 1 scale 1, min 0; sub-block 4 (packed in the upper
// half of the 12 bytes) scale 37 = 0b100101 and min 19 = 0b010011.
void PutKScales(std::vector<uint8_t>* b) {
  uint8_t* s = b->data() + 4;
  s[0] = 2 | (2 << 6);  // sc0 = 2, high bits of sc4 = 0b10
  s[1] = 1;             // sc1 = 1
  s[4] = 3 | (1 << 6);  // m0 = 3, high bits of m4 = 0b01
  s[5] = 0;             // m1 = 0
  s[8] = 5 | (3 << 4);  // low bits: sc4 = 0b0101, m4 = 0b0011
}

TEST(GgmlBlocks, DequantizesHandBuiltQ4_K) {
  std::vector<uint8_t> b(144, 0);
  Put16(&b, 0, kHalfOne);   // d = 1
  Put16(&b, 2, kHalfHalf);  // dmin = 0.5
  PutKScales(&b);
  uint8_t* qs = b.data() + 16;
  qs[0] = 0x9A;  // element 0 (sub-block 0): 10; element 32 (sub-block 1): 9
  qs[64] = 0x07; // element 128 (sub-block 4): 7
  std::vector<float> y(256);
  DequantizeRow(kGgmlQ4_K, b.data(), y.data(), 256);
  EXPECT_EQ(y[0], 1.0f * 2 * 10 - 0.5f * 3);   // 18.5
  EXPECT_EQ(y[1], -1.5f);                       // q = 0
  EXPECT_EQ(y[32], 9.0f);
  EXPECT_EQ(y[128], 1.0f * 37 * 7 - 0.5f * 19);  // 249.5
}

TEST(GgmlBlocks, DequantizesHandBuiltQ5_K) {
  std::vector<uint8_t> b(176, 0);
  Put16(&b, 0, kHalfOne);
  Put16(&b, 2, kHalfHalf);
  PutKScales(&b);
  b[16] = 0x03;            // qh[0]: bit 0 -> element 0 +16, bit 1 -> element 32 +16
  uint8_t* qs = b.data() + 48;
  qs[0] = 0x9A;
  std::vector<float> y(256);
  DequantizeRow(kGgmlQ5_K, b.data(), y.data(), 256);
  EXPECT_EQ(y[0], 2.0f * 26 - 1.5f);  // 50.5
  EXPECT_EQ(y[32], 25.0f);
  EXPECT_EQ(y[64], 0.0f);  // sub-block 2: scale 0, min 0
}

TEST(GgmlBlocks, DequantizesHandBuiltQ6_K) {
  std::vector<uint8_t> b(210, 0);
  b[0] = 0x05;       // ql[0]: element 0 low bits 5, element 64 low bits 0
  b[128] = 0x02;     // qh[0]: element 0 high bits 2; elements 32, 64, 96 high bits 0
  b[192] = 3;        // scale of elements 0..15
  b[194] = static_cast<uint8_t>(-2);  // elements 32..47
  Put16(&b, 208, kHalfOne);
  std::vector<float> y(256);
  DequantizeRow(kGgmlQ6_K, b.data(), y.data(), 256);
  EXPECT_EQ(y[0], 3.0f * (5 + 32 - 32));  // q = 5 | 2 << 4 = 37, minus 32
  EXPECT_EQ(y[32], -2.0f * -32);          // q = 0 - 32
  EXPECT_EQ(y[64], 0.0f);                 // scale 0
}

TEST(GgmlBlocks, Bf16) {
  std::vector<uint8_t> b(4);
  Put16(&b, 0, 0x3FC0);  // 1.5
  Put16(&b, 2, 0xC000);  // -2
  float y[2];
  DequantizeRow(kGgmlBF16, b.data(), y, 2);
  EXPECT_EQ(y[0], 1.5f);
  EXPECT_EQ(y[1], -2.0f);
  EXPECT_EQ(FloatToBf16(1.5f), 0x3FC0);
  EXPECT_EQ(FloatToBf16(1.0f + 1.0f / 256), 0x3F80);  // tie to even
}

// Our quantizers write what our dequantizers read back, within each type's
// resolution: relative RMS error over a Gaussian row.
TEST(GgmlBlocks, QuantizeRoundTrip) {
  std::mt19937 rng(7);
  std::normal_distribution<float> g(0.0f, 1.0f);
  const int64_t n = 1024;
  std::vector<float> x(n);
  for (float& v : x) v = g(rng);
  x[5] = 4.0f;  // an outlier
  struct Case {
    uint32_t type;
    double max_rel_rms;
  };
  for (const Case& c : {Case{kGgmlF16, 1e-3}, Case{kGgmlBF16, 5e-3}, Case{kGgmlQ8_0, 0.01}, Case{kGgmlQ6_K, 0.04},
                        Case{kGgmlQ5_K, 0.06}, Case{kGgmlQ4_K, 0.12}, Case{kGgmlQ4_0, 0.15},
                        Case{kGgmlQ5_0, 0.08}, Case{kGgmlQ5_1, 0.08}}) {
    std::vector<uint8_t> q(*GgmlRowBytes(c.type, n));
    QuantizeRow(c.type, x.data(), q.data(), n);
    std::vector<float> y(n);
    DequantizeRow(c.type, q.data(), y.data(), n);
    double err = 0, ref = 0;
    for (int64_t i = 0; i < n; ++i) {
      err += (y[i] - x[i]) * (y[i] - x[i]);
      ref += x[i] * x[i];
    }
    EXPECT_LT(std::sqrt(err / ref), c.max_rel_rms) << GgmlTypeName(c.type);
    EXPECT_GT(std::sqrt(err / ref), 0.0) << GgmlTypeName(c.type);
  }
}

}  // namespace
}  // namespace cacheopt
