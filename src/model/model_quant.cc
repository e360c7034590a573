#include "model/model_quant.h"

#include "model/ggml_blocks.h"
#include "model/gguf_types.h"

namespace cacheopt {
namespace {

void Quantize(std::vector<float>* w, int32_t rows, int32_t cols, uint32_t type, QuantMatrix* q) {
  const uint32_t t = StorageTypeFor(type, cols);
  q->type = t;
  q->rows = rows;
  q->cols = cols;
  q->row_bytes = *GgmlRowBytes(t, cols);
  q->data.assign(q->row_bytes * rows, 0);
  for (int32_t r = 0; r < rows; ++r)
    QuantizeRow(t, w->data() + static_cast<size_t>(r) * cols, q->data.data() + r * q->row_bytes, cols);
  std::vector<float>().swap(*w);
}

void Widen(QuantMatrix* q, std::vector<float>* w) {
  if (q->empty()) return;
  w->resize(static_cast<size_t>(q->rows) * q->cols);
  for (int32_t r = 0; r < q->rows; ++r) DequantizeRow(q->type, q->row(r), w->data() + static_cast<size_t>(r) * q->cols, q->cols);
  *q = QuantMatrix{};
}

template <typename F>
void ForEachMatrix(Model* m, F f) {
  const ModelConfig& c = m->config;
  for (LayerWeights& L : m->weights.layers) {
    f(&L.wq, &L.wq_q, c.dim, c.dim);
    f(&L.wk, &L.wk_q, c.kv_dim(), c.dim);
    f(&L.wv, &L.wv_q, c.kv_dim(), c.dim);
    f(&L.wo, &L.wo_q, c.dim, c.dim);
    f(&L.w1, &L.w1_q, c.hidden_dim, c.dim);
    f(&L.w2, &L.w2_q, c.dim, c.hidden_dim);
    f(&L.w3, &L.w3_q, c.hidden_dim, c.dim);
  }
}

}  // namespace

uint32_t StorageTypeFor(uint32_t type, int32_t cols) {
  const auto b = GgmlBlock(type);
  if (b && cols % b->block_elems == 0) return type;
  // llama-quantize's tensor_type_fallback (src/llama-quant.cpp).
  const uint32_t fallback = type == kGgmlQ4_K ? kGgmlQ5_0 : type == kGgmlQ5_K ? kGgmlQ5_1 : uint32_t{kGgmlQ8_0};
  return cols % 32 == 0 ? fallback : uint32_t{kGgmlF16};
}

Status QuantizeModelWeights(Model* m, uint32_t type) {
  if (!GgmlTypeSupported(type))
    return Status::InvalidArgument("cannot store weights as " + GgmlTypeName(type) + "; supported: " +
                                   GgmlSupportedTypeNames());
  if (type == kGgmlF32) return Status::Ok();
  ForEachMatrix(m, [&](std::vector<float>* w, QuantMatrix* q, int32_t rows, int32_t cols) {
    if (!w->empty()) Quantize(w, rows, cols, type, q);
  });
  ModelWeights& w = m->weights;
  const ModelConfig& c = m->config;
  const bool shared = w.wcls == w.token_embedding;
  if (!w.token_embedding.empty()) Quantize(&w.token_embedding, c.vocab_size, c.dim, type, &w.token_embedding_q);
  if (shared) {
    std::vector<float>().swap(w.wcls);
  } else if (!w.wcls.empty()) {
    Quantize(&w.wcls, c.vocab_size, c.dim, type, &w.wcls_q);
  }
  return Status::Ok();
}

void WidenModelWeights(Model* m) {
  ForEachMatrix(m, [&](std::vector<float>* w, QuantMatrix* q, int32_t, int32_t) { Widen(q, w); });
  ModelWeights& w = m->weights;
  const bool shared = w.wcls.empty() && w.wcls_q.empty();
  Widen(&w.token_embedding_q, &w.token_embedding);
  Widen(&w.wcls_q, &w.wcls);
  if (shared) w.wcls = w.token_embedding;
}

bool HasQuantizedWeights(const Model& m) {
  bool any = !m.weights.token_embedding_q.empty() || !m.weights.wcls_q.empty();
  for (const LayerWeights& L : m.weights.layers)
    for (const QuantMatrix* q : {&L.wq_q, &L.wk_q, &L.wv_q, &L.wo_q, &L.w1_q, &L.w2_q, &L.w3_q}) any = any || !q->empty();
  return any;
}

}  // namespace cacheopt
