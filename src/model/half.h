// IEEE 754 binary16 <-> binary32, for GGUF F16 tensors. Written here rather
// than relying on _Float16, whose availability varies by compiler and target.
#pragma once

#include <cstdint>

namespace cacheopt {

// Exact: every half is representable as a float.
float HalfToFloat(uint16_t h);

// Round to nearest, ties to even; beyond the half range gives +-inf, NaN
// stays NaN.
uint16_t FloatToHalf(float f);

}  // namespace cacheopt
