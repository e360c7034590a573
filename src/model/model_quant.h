// Converting a Model's matrices between fp32 and a GGUF storage type
// (model/ggml_blocks.h): for `make-model --quant`, tests, and writing a
// loaded quantized model back out.
#pragma once

#include <cstdint>

#include "cacheopt/status.h"
#include "model/model.h"

namespace cacheopt {

// The type a matrix with rows of `cols` elements is stored as when `type`
// is asked for: `type` itself when `cols` is a whole number of its blocks;
// for a K-quant otherwise llama-quantize's fallback (Q4_K -> Q5_0, Q5_K ->
// Q5_1, Q6_K -> Q8_0); F16 when not even a 32-element block fits.
uint32_t StorageTypeFor(uint32_t type, int32_t cols);

// Replaces every fp32 matrix (the seven per layer, the embedding and the
// classifier) by its quantized form and frees the fp32 copy; 1-D weights stay
// fp32. A classifier equal to the embedding is left shared (both empty).
// F32 keeps the model as it is. Error: a type outside ggml_blocks.h.
Status QuantizeModelWeights(Model* m, uint32_t type);

// The inverse for reading: every quantized matrix dequantized into its fp32
// vector (and a shared classifier copied), quantized storage freed.
void WidenModelWeights(Model* m);

// True when any matrix is held quantized.
bool HasQuantizedWeights(const Model& m);

}  // namespace cacheopt
