// The layout of llama2.c's legacy (version 0) checkpoint, shared by the
// loader and the writer so both walk the same sections in the same order:
// a 7 x int32 header, then fp32 tensors with all layers of one kind back to
// back, the unused freq_cis tables, and wcls only when vocab_size < 0.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/model.h"

namespace cacheopt {

struct Llama2cHeader {
  int32_t dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len;
};
static_assert(sizeof(Llama2cHeader) == 28);

enum class Llama2cPart {
  kHeader, kTokenEmbedding, kRmsAtt, kWq, kWk, kWv, kWo, kRmsFfn, kW1, kW2, kW3,
  kRmsFinal, kFreqCisReal, kFreqCisImag, kWcls,
};

struct Llama2cSection {
  Llama2cPart part;
  const char* name;
  int32_t items;           // n_layers for per-layer tensors, else 1
  uint64_t floats_per_item;
  uint64_t bytes() const { return part == Llama2cPart::kHeader ? sizeof(Llama2cHeader) : items * floats_per_item * 4; }
};

// Sections in file order for a config (from a checked header) and whether
// the classifier is shared (vocab_size > 0 in the file).
std::vector<Llama2cSection> Llama2cLayout(const ModelConfig& c, bool shared_classifier);

// The weight vector a section's item fills; nullptr for the header and the
// freq_cis tables, which hold no weights.
std::vector<float>* Llama2cTensor(ModelWeights& w, Llama2cPart part, int32_t layer);
const std::vector<float>* Llama2cTensor(const ModelWeights& w, Llama2cPart part, int32_t layer);

// Checkpoints of llama2.c's newer export versions start with this magic.
inline constexpr uint32_t kLlama2cVersionedMagic = 0x616b3432;  // "ak42"

}  // namespace cacheopt
