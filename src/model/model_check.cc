#include "model/model_check.h"

#include <cmath>

namespace cacheopt {
namespace {

Status Bad(const std::string& where, const std::string& what) {
  return Status::InvalidArgument(where + ": " + what);
}

Status CheckRange(const std::string& where, const char* name, int64_t v, int64_t max) {
  if (v <= 0 || v > max)
    return Bad(where, std::string(name) + " = " + std::to_string(v) + " is out of range (1.." +
                          std::to_string(max) + ")");
  return Status::Ok();
}

Status CheckSize(const std::string& where, const std::string& name, size_t have, uint64_t want) {
  if (have != want)
    return Bad(where, name + " holds " + std::to_string(have) + " floats, expected " + std::to_string(want));
  return Status::Ok();
}

}  // namespace

Status CheckConfig(const ModelConfig& c, const std::string& where) {
  for (Status s : {CheckRange(where, "dim", c.dim, kMaxDim),
                   CheckRange(where, "hidden_dim", c.hidden_dim, kMaxHiddenDim),
                   CheckRange(where, "n_layers", c.n_layers, kMaxLayers),
                   CheckRange(where, "n_heads", c.n_heads, kMaxHeads),
                   CheckRange(where, "n_kv_heads", c.n_kv_heads, kMaxHeads),
                   CheckRange(where, "vocab_size", c.vocab_size, kMaxVocab),
                   CheckRange(where, "file context", c.file_context, kMaxContext),
                   CheckRange(where, "context", c.context, kMaxContext)}) {
    if (!s.ok()) return s;
  }
  if (c.dim % c.n_heads != 0)
    return Bad(where, "dim " + std::to_string(c.dim) + " is not a multiple of n_heads " + std::to_string(c.n_heads));
  if (c.n_heads % c.n_kv_heads != 0)
    return Bad(where, "n_heads " + std::to_string(c.n_heads) + " is not a multiple of n_kv_heads " +
                          std::to_string(c.n_kv_heads));
  if (c.head_size() % 2 != 0)
    return Bad(where, "head_size " + std::to_string(c.head_size()) + " is odd; RoPE needs pairs");
  if (!std::isfinite(c.rms_eps) || c.rms_eps <= 0 || c.rms_eps > 1)
    return Bad(where, "rms_eps " + std::to_string(c.rms_eps) + " is not in (0, 1]");
  if (!std::isfinite(c.rope_theta) || c.rope_theta <= 1)
    return Bad(where, "rope_theta " + std::to_string(c.rope_theta) + " is not a finite value above 1");
  if (!std::isfinite(c.rope_freq_scale) || c.rope_freq_scale <= 0)
    return Bad(where, "RoPE frequency scale " + std::to_string(c.rope_freq_scale) + " is not finite and positive");
  if (c.sliding_window < 0) return Bad(where, "sliding window " + std::to_string(c.sliding_window) + " is negative");
  if (c.bos_id < 0 || c.bos_id >= c.vocab_size || c.eos_id < 0 || c.eos_id >= c.vocab_size)
    return Bad(where, "bos_id " + std::to_string(c.bos_id) + " or eos_id " + std::to_string(c.eos_id) +
                          " is outside the vocabulary of " + std::to_string(c.vocab_size));
  for (int32_t id : c.stop_ids) {
    if (id < 0 || id >= c.vocab_size) return Bad(where, "stop id " + std::to_string(id) + " is outside the vocabulary");
  }
  return Status::Ok();
}

Status CheckWeights(const Model& m, const std::string& where) {
  const ModelConfig& c = m.config;
  if (Status s = CheckConfig(c, where); !s.ok()) return s;
  const uint64_t dim = c.dim, hidden = c.hidden_dim, kv = c.kv_dim(), vocab = c.vocab_size;
  const ModelWeights& w = m.weights;
  if (w.layers.size() != static_cast<size_t>(c.n_layers))
    return Bad(where, "has " + std::to_string(w.layers.size()) + " layers, config says " + std::to_string(c.n_layers));
  for (Status s : {CheckSize(where, "token_embedding", w.token_embedding.size(), vocab * dim),
                   CheckSize(where, "rms_final", w.rms_final.size(), dim),
                   CheckSize(where, "wcls", w.wcls.size(), vocab * dim)}) {
    if (!s.ok()) return s;
  }
  for (size_t l = 0; l < w.layers.size(); ++l) {
    const LayerWeights& L = w.layers[l];
    const std::string p = "layer " + std::to_string(l) + " ";
    for (Status s : {CheckSize(where, p + "rms_att", L.rms_att.size(), dim),
                     CheckSize(where, p + "wq", L.wq.size(), dim * dim),
                     CheckSize(where, p + "wk", L.wk.size(), kv * dim),
                     CheckSize(where, p + "wv", L.wv.size(), kv * dim),
                     CheckSize(where, p + "wo", L.wo.size(), dim * dim),
                     CheckSize(where, p + "rms_ffn", L.rms_ffn.size(), dim),
                     CheckSize(where, p + "w1", L.w1.size(), hidden * dim),
                     CheckSize(where, p + "w2", L.w2.size(), dim * hidden),
                     CheckSize(where, p + "w3", L.w3.size(), hidden * dim)}) {
      if (!s.ok()) return s;
    }
    // Optional: empty, or the size of what they are added to.
    for (Status s : {L.bq.empty() ? Status::Ok() : CheckSize(where, p + "bq", L.bq.size(), dim),
                     L.bk.empty() ? Status::Ok() : CheckSize(where, p + "bk", L.bk.size(), kv),
                     L.bv.empty() ? Status::Ok() : CheckSize(where, p + "bv", L.bv.size(), kv),
                     L.bo.empty() ? Status::Ok() : CheckSize(where, p + "bo", L.bo.size(), dim)}) {
      if (!s.ok()) return s;
    }
  }
  if (!w.rope_freq_factors.empty())
    if (Status s = CheckSize(where, "rope_freq_factors", w.rope_freq_factors.size(), c.head_size() / 2); !s.ok())
      return s;
  return Status::Ok();
}

Status CheckVocabulary(const Vocabulary& v, int32_t vocab_size, const std::string& where) {
  if (v.pieces.size() != static_cast<size_t>(vocab_size) || v.scores.size() != v.pieces.size())
    return Bad(where, "vocab size mismatch: tokenizer has " + std::to_string(v.pieces.size()) + " pieces and " +
                          std::to_string(v.scores.size()) + " scores, model has vocab_size " +
                          std::to_string(vocab_size));
  for (size_t i = 0; i < v.scores.size(); ++i) {
    if (!std::isfinite(v.scores[i])) return Bad(where, "token " + std::to_string(i) + " has a non-finite score");
  }
  return Status::Ok();
}

uint64_t ParameterCount(const ModelConfig& c, bool shared_classifier) {
  const uint64_t dim = c.dim, hidden = c.hidden_dim, kv = c.kv_dim(), vocab = c.vocab_size;
  const uint64_t per_layer = 2 * dim + 2 * dim * dim + 2 * kv * dim + 3 * hidden * dim;
  return vocab * dim + c.n_layers * per_layer + dim + (shared_classifier ? 0 : vocab * dim);
}

}  // namespace cacheopt
