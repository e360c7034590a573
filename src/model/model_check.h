// Shape checks shared by the loaders and writers. The limits keep a corrupt
// header from implying absurd sizes: with them every tensor's byte count fits
// easily in uint64, so size arithmetic cannot overflow.
#pragma once

#include <cstdint>
#include <string>

#include "cacheopt/status.h"
#include "model/model.h"

namespace cacheopt {

inline constexpr int32_t kMaxDim = 1 << 16;
inline constexpr int32_t kMaxHiddenDim = 1 << 18;
inline constexpr int32_t kMaxLayers = 1024;
inline constexpr int32_t kMaxHeads = 4096;
inline constexpr int32_t kMaxVocab = 1 << 21;
inline constexpr int32_t kMaxContext = 1 << 24;

// Every field positive and within the limits, dim % n_heads == 0,
// n_heads % n_kv_heads == 0, head_size even (RoPE rotates pairs), context
// positive, rms_eps and rope_theta finite and positive, bos/eos in the vocab.
// Messages start with `where` (usually the file path).
Status CheckConfig(const ModelConfig& c, const std::string& where);

// The weight vectors have the sizes the config implies (biases and RoPE
// frequency factors: empty or their full size).
Status CheckWeights(const Model& m, const std::string& where);

// pieces and scores both hold vocab_size entries and every score is finite.
Status CheckVocabulary(const Vocabulary& v, int32_t vocab_size, const std::string& where);

// Parameters in the weights (wcls counted once even when it is a copy).
uint64_t ParameterCount(const ModelConfig& c, bool shared_classifier);

}  // namespace cacheopt
