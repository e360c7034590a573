#include "model/llama2c_format.h"

namespace cacheopt {

std::vector<Llama2cSection> Llama2cLayout(const ModelConfig& c, bool shared_classifier) {
  using P = Llama2cPart;
  const uint64_t dim = c.dim, hidden = c.hidden_dim, kv = c.kv_dim(), vocab = c.vocab_size;
  const int32_t L = c.n_layers;
  // The legacy exporter stores cos/sin tables of seq_len x head_size/2; run.c
  // skips them, and so do we.
  const uint64_t freq = static_cast<uint64_t>(c.file_context) * (c.head_size() / 2);
  std::vector<Llama2cSection> s = {
      {P::kHeader, "header", 1, 7},
      {P::kTokenEmbedding, "token_embedding", 1, vocab * dim},
      {P::kRmsAtt, "rms_att", L, dim},
      {P::kWq, "wq", L, dim * dim},
      {P::kWk, "wk", L, kv * dim},
      {P::kWv, "wv", L, kv * dim},
      {P::kWo, "wo", L, dim * dim},
      {P::kRmsFfn, "rms_ffn", L, dim},
      {P::kW1, "w1", L, hidden * dim},
      {P::kW2, "w2", L, dim * hidden},
      {P::kW3, "w3", L, hidden * dim},
      {P::kRmsFinal, "rms_final", 1, dim},
      {P::kFreqCisReal, "freq_cis_real", 1, freq},
      {P::kFreqCisImag, "freq_cis_imag", 1, freq},
  };
  if (!shared_classifier) s.push_back({P::kWcls, "wcls", 1, vocab * dim});
  return s;
}

namespace {

// One body for the const and mutable overloads.
template <typename Weights>
auto* TensorOf(Weights& w, Llama2cPart part, int32_t layer) {
  using P = Llama2cPart;
  using Ptr = decltype(&w.token_embedding);
  switch (part) {
    case P::kTokenEmbedding: return &w.token_embedding;
    case P::kRmsAtt: return &w.layers[layer].rms_att;
    case P::kWq: return &w.layers[layer].wq;
    case P::kWk: return &w.layers[layer].wk;
    case P::kWv: return &w.layers[layer].wv;
    case P::kWo: return &w.layers[layer].wo;
    case P::kRmsFfn: return &w.layers[layer].rms_ffn;
    case P::kW1: return &w.layers[layer].w1;
    case P::kW2: return &w.layers[layer].w2;
    case P::kW3: return &w.layers[layer].w3;
    case P::kRmsFinal: return &w.rms_final;
    case P::kWcls: return &w.wcls;
    case P::kHeader:
    case P::kFreqCisReal:
    case P::kFreqCisImag: return Ptr{nullptr};
  }
  return Ptr{nullptr};
}

}  // namespace

std::vector<float>* Llama2cTensor(ModelWeights& w, Llama2cPart part, int32_t layer) {
  return TensorOf(w, part, layer);
}

const std::vector<float>* Llama2cTensor(const ModelWeights& w, Llama2cPart part, int32_t layer) {
  return TensorOf(w, part, layer);
}

}  // namespace cacheopt
