// GGUF's metadata value types and a parsed value, plus ggml tensor type ids
// (only F32 and F16 are loadable; the rest are named for error messages).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cacheopt {

inline constexpr char kGgufMagic[4] = {'G', 'G', 'U', 'F'};
inline constexpr uint64_t kGgufDefaultAlignment = 32;

enum class GgufValueType : uint32_t {
  kUint8 = 0, kInt8 = 1, kUint16 = 2, kInt16 = 3, kUint32 = 4, kInt32 = 5, kFloat32 = 6,
  kBool = 7, kString = 8, kArray = 9, kUint64 = 10, kInt64 = 11, kFloat64 = 12,
};
inline constexpr uint32_t kGgufValueTypeCount = 13;

// "uint32", "string", ...; "type N" for unknown ids.
std::string GgufValueTypeName(GgufValueType t);
// Bytes of a fixed-size scalar; 0 for string and array.
uint64_t GgufScalarSize(GgufValueType t);

enum GgmlType : uint32_t { kGgmlF32 = 0, kGgmlF16 = 1 };
// "F32", "F16", "Q4_0", ...; "type N" for unknown ids.
std::string GgmlTypeName(uint32_t type);

// One metadata value. Integers and bools are kept in u (unsigned) or i
// (signed) by their type; floats in f.
struct GgufValue {
  GgufValueType type = GgufValueType::kUint8;
  uint64_t u = 0;
  int64_t i = 0;
  double f = 0;
  std::string str;
  GgufValueType elem_type = GgufValueType::kUint8;  // arrays only
  std::vector<GgufValue> items;                     // arrays only

  static GgufValue U32(uint32_t v);
  static GgufValue I32(int32_t v);
  static GgufValue U64(uint64_t v);
  static GgufValue F32(float v);
  static GgufValue Bool(bool v);
  static GgufValue String(std::string v);
  static GgufValue Array(GgufValueType elem_type, std::vector<GgufValue> items);

  // Any integer type whose value fits in int64; nullopt otherwise.
  std::optional<int64_t> AsInt() const;
  // float32/float64, or an integer; nullopt otherwise.
  std::optional<double> AsFloat() const;
};

}  // namespace cacheopt
