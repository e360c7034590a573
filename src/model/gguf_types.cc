#include "model/gguf_types.h"

#include <array>

namespace cacheopt {

std::string GgufValueTypeName(GgufValueType t) {
  static constexpr std::array<const char*, kGgufValueTypeCount> kNames = {
      "uint8", "int8", "uint16", "int16", "uint32", "int32", "float32",
      "bool", "string", "array", "uint64", "int64", "float64"};
  const auto i = static_cast<uint32_t>(t);
  return i < kNames.size() ? kNames[i] : "type " + std::to_string(i);
}

uint64_t GgufScalarSize(GgufValueType t) {
  using T = GgufValueType;
  switch (t) {
    case T::kUint8: case T::kInt8: case T::kBool: return 1;
    case T::kUint16: case T::kInt16: return 2;
    case T::kUint32: case T::kInt32: case T::kFloat32: return 4;
    case T::kUint64: case T::kInt64: case T::kFloat64: return 8;
    case T::kString: case T::kArray: return 0;
  }
  return 0;
}

std::string GgmlTypeName(uint32_t type) {
  // ggml's type ids (ggml.h); 4 and 5 were removed upstream.
  static constexpr std::array<const char*, 31> kNames = {
      "F32", "F16", "Q4_0", "Q4_1", "type 4", "type 5", "Q5_0", "Q5_1", "Q8_0", "Q8_1",
      "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S",
      "IQ4_NL", "IQ3_S", "IQ2_S", "IQ4_XS", "I8", "I16", "I32", "I64", "F64", "IQ1_M", "BF16"};
  return type < kNames.size() ? kNames[type] : "type " + std::to_string(type);
}

GgufValue GgufValue::U32(uint32_t v) { GgufValue x; x.type = GgufValueType::kUint32; x.u = v; return x; }
GgufValue GgufValue::I32(int32_t v) { GgufValue x; x.type = GgufValueType::kInt32; x.i = v; return x; }
GgufValue GgufValue::U64(uint64_t v) { GgufValue x; x.type = GgufValueType::kUint64; x.u = v; return x; }
GgufValue GgufValue::F32(float v) { GgufValue x; x.type = GgufValueType::kFloat32; x.f = v; return x; }
GgufValue GgufValue::Bool(bool v) { GgufValue x; x.type = GgufValueType::kBool; x.u = v ? 1 : 0; return x; }
GgufValue GgufValue::String(std::string v) {
  GgufValue x;
  x.type = GgufValueType::kString;
  x.str = std::move(v);
  return x;
}
GgufValue GgufValue::Array(GgufValueType elem_type, std::vector<GgufValue> items) {
  GgufValue x;
  x.type = GgufValueType::kArray;
  x.elem_type = elem_type;
  x.items = std::move(items);
  return x;
}

std::optional<int64_t> GgufValue::AsInt() const {
  using T = GgufValueType;
  switch (type) {
    case T::kUint8: case T::kUint16: case T::kUint32: case T::kUint64: case T::kBool:
      if (u > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
      return static_cast<int64_t>(u);
    case T::kInt8: case T::kInt16: case T::kInt32: case T::kInt64: return i;
    default: return std::nullopt;
  }
}

std::optional<double> GgufValue::AsFloat() const {
  if (type == GgufValueType::kFloat32 || type == GgufValueType::kFloat64) return f;
  if (auto v = AsInt()) return static_cast<double>(*v);
  return std::nullopt;
}

}  // namespace cacheopt
