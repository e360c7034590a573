// ggml's tensor storage types as GGUF files hold them: block sizes, bytes per
// row, and row dequantization / quantization for the types we load and write
// (F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K). Block layouts follow
// ggml-common.h (llama.cpp, ggml/src/ggml-common.h); the dequantization
// arithmetic follows ggml-quants.c's dequantize_row_* (same float operations in
// the same order, so a value equals ggml's reference dequantization when that
// is compiled without FMA contraction). Our quantizers are our own simpler
// scale searches: they write valid blocks of each layout, not the same bytes
// as llama-quantize.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace cacheopt {

// ggml type ids (ggml.h); kGgmlF32/kGgmlF16 are in gguf_types.h.
inline constexpr uint32_t kGgmlQ4_0 = 2;
inline constexpr uint32_t kGgmlQ5_0 = 6;
inline constexpr uint32_t kGgmlQ5_1 = 7;
inline constexpr uint32_t kGgmlQ8_0 = 8;
inline constexpr uint32_t kGgmlQ4_K = 12;
inline constexpr uint32_t kGgmlQ5_K = 13;
inline constexpr uint32_t kGgmlQ6_K = 14;
inline constexpr uint32_t kGgmlBF16 = 30;

inline constexpr int32_t kQkK = 256;  // elements per K-quant super-block

struct GgmlBlockInfo {
  int32_t block_elems = 0;  // elements per block (1 for F32/F16/BF16)
  int32_t block_bytes = 0;  // bytes per block
};

// Block geometry of a type we support; nullopt for any other type id.
std::optional<GgmlBlockInfo> GgmlBlock(uint32_t type);
// True for the types above.
bool GgmlTypeSupported(uint32_t type);
// Bytes of a row of `n` elements; nullopt when unsupported or `n` is not a
// whole number of blocks.
std::optional<uint64_t> GgmlRowBytes(uint32_t type, int64_t n);
// "F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K": for error messages.
std::string GgmlSupportedTypeNames();
// Parses a type name (case-insensitive: "q4_k", "Q8_0", "bf16"); nullopt when
// not one of the supported types.
std::optional<uint32_t> GgmlTypeFromName(const std::string& name);

float Bf16ToFloat(uint16_t h);
// Round to nearest even; NaN stays NaN (quiet).
uint16_t FloatToBf16(float f);

// y[0..n) = the values of one row of `n` elements stored as `type` at `src`.
// `n` must be a whole number of blocks of a supported type.
void DequantizeRow(uint32_t type, const void* src, float* y, int64_t n);

// Stores x[0..n) as `type` at `dst` (GgmlRowBytes(type, n) bytes).
void QuantizeRow(uint32_t type, const float* x, void* dst, int64_t n);

}  // namespace cacheopt
