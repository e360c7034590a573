#include "exec/cpu/forward.h"

#include <cblas.h>

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cstring>

#include "exec/cpu/attention.h"
#include "exec/cpu/row_ops.h"
#include "model/ggml_blocks.h"

namespace cacheopt {
namespace {

// Attention work below this many score terms runs on the calling thread.
constexpr int64_t kParallelScores = int64_t{1} << 14;

// Charges the time since the previous lap to one field of the profile; does
// nothing (no clock read) when profiling is off.
class Lap {
 public:
  explicit Lap(ForwardProfile* p) : p_(p) {
    if (p_ != nullptr) t_ = std::chrono::steady_clock::now();
  }
  void operator()(double ForwardProfile::*field) {
    if (p_ == nullptr) return;
    const auto now = std::chrono::steady_clock::now();
    p_->*field += std::chrono::duration<double>(now - t_).count();
    t_ = now;
  }

 private:
  ForwardProfile* p_;
  std::chrono::steady_clock::time_point t_;
};

}  // namespace

Forward::Forward(const Model& model, GemmMode mode, ThreadPool* pool) : model_(model), mode_(mode), pool_(pool) {
  const ModelConfig& c = model.config;
  const int32_t kv_dim = c.kv_dim();
  for (const LayerWeights& w : model.weights.layers) {
    layers_.push_back({
        Linear({{w.wq.data(), c.dim, &w.wq_q}, {w.wk.data(), kv_dim, &w.wk_q}, {w.wv.data(), kv_dim, &w.wv_q}},
               c.dim, mode),
        Linear({{w.wo.data(), c.dim, &w.wo_q}}, c.dim, mode),
        Linear({{w.w1.data(), c.hidden_dim, &w.w1_q}, {w.w3.data(), c.hidden_dim, &w.w3_q}}, c.dim, mode),
        Linear({{w.w2.data(), c.dim, &w.w2_q}}, c.hidden_dim, mode),
        {},
    });
    if (!w.bq.empty() || !w.bk.empty() || !w.bv.empty()) {
      // A missing one of the three is zeros (llama.cpp loads each optionally).
      std::vector<float>& b = layers_.back().qkv_bias;
      b.assign(static_cast<size_t>(c.dim + 2 * kv_dim), 0.0f);
      std::copy(w.bq.begin(), w.bq.end(), b.begin());
      std::copy(w.bk.begin(), w.bk.end(), b.begin() + c.dim);
      std::copy(w.bv.begin(), w.bv.end(), b.begin() + c.dim + kv_dim);
    }
  }
  const ModelWeights& mw = model.weights;
  // A quantized model with neither classifier form shares the embedding.
  const bool cls_is_embedding = mw.wcls.empty() && mw.wcls_q.empty();
  cls_ = cls_is_embedding ? Linear({{mw.token_embedding.data(), c.vocab_size, &mw.token_embedding_q}}, c.dim, mode)
                          : Linear({{mw.wcls.data(), c.vocab_size, &mw.wcls_q}}, c.dim, mode);
  if (mode == GemmMode::kOpenBlas) openblas_set_num_threads(pool != nullptr ? pool->size() : 1);
}

void Forward::Run(std::span<const ForwardSeq> seqs, KvArena* kv, std::vector<float>* logits,
                  std::vector<float>* all_logits) {
  const ModelConfig& c = model_.config;
  const int32_t dim = c.dim, kv_dim = c.kv_dim(), hidden = c.hidden_dim;
  const int32_t qkv_w = dim + 2 * kv_dim;
  int32_t rows = 0;
  for (const ForwardSeq& s : seqs) rows += static_cast<int32_t>(s.tokens.size());
  const size_t T = static_cast<size_t>(rows);
  Lap lap(profile_);
  if (profile_ != nullptr) {
    ++profile_->steps;
    profile_->rows += rows;
  }
  x_.resize(T * dim);
  xb_.resize(T * dim);
  qkv_.resize(T * qkv_w);
  att_.resize(T * dim);
  h13_.resize(T * 2 * hidden);
  hb_.resize(T * hidden);
  tmp_.resize(T * dim);
  pos_.resize(T);

  RopeParams rope;
  rope.head_size = c.head_size();
  rope.theta = c.rope_theta;
  rope.freq_scale = c.rope_freq_scale;
  rope.freq_factors = model_.weights.rope_freq_factors.empty() ? nullptr : model_.weights.rope_freq_factors.data();
  rope.half_split = c.rope_style == ModelConfig::RopeStyle::kHalfSplit;

  // Embeddings, and each row's position.
  int32_t r = 0;
  for (const ForwardSeq& s : seqs) {
    for (size_t i = 0; i < s.tokens.size(); ++i, ++r) {
      int32_t tok = s.tokens[i];
      assert(tok >= 0 && tok < c.vocab_size);
      const QuantMatrix& qe = model_.weights.token_embedding_q;
      if (!qe.empty()) {
        DequantizeRow(qe.type, qe.row(tok), &x_[r * dim], dim);
      } else {
        std::memcpy(&x_[r * dim], &model_.weights.token_embedding[static_cast<size_t>(tok) * dim],
                    sizeof(float) * dim);
      }
      pos_[r] = s.start_pos + static_cast<int32_t>(i);
    }
  }

  for (int32_t l = 0; l < c.n_layers; ++l) {
    const LayerWeights& w = model_.weights.layers[l];
    const Layer& L = layers_[l];
    for (int32_t i = 0; i < rows; ++i) RmsNorm(&x_[i * dim], w.rms_att.data(), dim, c.rms_eps, &xb_[i * dim]);
    lap(&ForwardProfile::row_ops_s);
    L.qkv.Apply(xb_.data(), dim, rows, qkv_.data(), qkv_w, pool_);
    lap(&ForwardProfile::qkv_s);
    if (!L.qkv_bias.empty())
      for (int32_t i = 0; i < rows; ++i)
        for (int32_t j = 0; j < qkv_w; ++j) qkv_[i * qkv_w + j] += L.qkv_bias[j];
    for (int32_t i = 0; i < rows; ++i)
      RopeScaled(&qkv_[i * qkv_w], &qkv_[i * qkv_w + dim], dim, kv_dim, pos_[i], rope);
    lap(&ForwardProfile::row_ops_s);
    Attention(seqs, l, kv);
    lap(&ForwardProfile::attention_s);
    L.wo.Apply(att_.data(), dim, rows, tmp_.data(), dim, pool_);
    lap(&ForwardProfile::wo_s);
    if (!w.bo.empty())
      for (int32_t i = 0; i < rows; ++i)
        for (int32_t j = 0; j < dim; ++j) tmp_[i * dim + j] += w.bo[j];
    for (size_t i = 0; i < T * dim; ++i) x_[i] += tmp_[i];

    for (int32_t i = 0; i < rows; ++i) RmsNorm(&x_[i * dim], w.rms_ffn.data(), dim, c.rms_eps, &xb_[i * dim]);
    lap(&ForwardProfile::row_ops_s);
    L.w13.Apply(xb_.data(), dim, rows, h13_.data(), 2 * hidden, pool_);
    lap(&ForwardProfile::ffn_s);
    for (int32_t i = 0; i < rows; ++i)
      SwiGlu(&h13_[i * 2 * hidden], &h13_[i * 2 * hidden + hidden], hidden, &hb_[i * hidden]);
    lap(&ForwardProfile::row_ops_s);
    L.w2.Apply(hb_.data(), hidden, rows, tmp_.data(), dim, pool_);
    lap(&ForwardProfile::ffn_s);
    for (size_t i = 0; i < T * dim; ++i) x_[i] += tmp_[i];
    lap(&ForwardProfile::row_ops_s);
  }

  // The classifier runs only over the rows whose logits are wanted.
  std::vector<int32_t> want;
  r = 0;
  for (const ForwardSeq& s : seqs) {
    r += static_cast<int32_t>(s.tokens.size());
    if (s.want_logits && !s.tokens.empty()) want.push_back(r - 1);
  }
  logits->resize(want.size() * c.vocab_size);
  Classify(want, logits->data());
  if (all_logits != nullptr) {
    std::vector<int32_t> every(rows);
    for (int32_t i = 0; i < rows; ++i) every[i] = i;
    all_logits->resize(T * c.vocab_size);
    Classify(every, all_logits->data());
  }
  lap(&ForwardProfile::cls_s);
}

void Forward::Classify(const std::vector<int32_t>& rows, float* out) {
  const ModelConfig& c = model_.config;
  const int32_t dim = c.dim;
  std::vector<float> xf(rows.size() * dim);
  for (size_t i = 0; i < rows.size(); ++i)
    RmsNorm(&x_[rows[i] * dim], model_.weights.rms_final.data(), dim, c.rms_eps, &xf[i * dim]);
  cls_.Apply(xf.data(), dim, static_cast<int32_t>(rows.size()), out, c.vocab_size, pool_);
}

void Forward::Attention(std::span<const ForwardSeq> seqs, int32_t layer, KvArena* kv) {
  const ModelConfig& c = model_.config;
  const int32_t dim = c.dim, kv_dim = c.kv_dim();
  const int32_t qkv_w = dim + 2 * kv_dim;
  std::vector<AttentionSeq> at;
  at.reserve(seqs.size());
  int32_t r = 0;
  int64_t scores = 0;
  for (const ForwardSeq& s : seqs) {
    int32_t n = static_cast<int32_t>(s.tokens.size());
    at.push_back({r, n, s.start_pos, s.blocks});
    r += n;
    scores += static_cast<int64_t>(n) * (s.start_pos + n) * c.n_heads * c.head_size();
  }
  // Every K/V of the step is in the cache before any query reads it, so a
  // prefill chunk reads its own keys exactly as a later decode will.
  for (const AttentionSeq& s : at) WriteKv(c, s, layer, qkv_.data(), qkv_w, dim, dim + kv_dim, kv);
  const int64_t items = static_cast<int64_t>(at.size()) * c.n_heads;
  auto item = [&](int64_t i) {
    const AttentionSeq& s = at[i / c.n_heads];
    AttendHead(c, s, layer, static_cast<int32_t>(i % c.n_heads), qkv_.data(), qkv_w, *kv, att_.data(), dim);
  };
  if (pool_ == nullptr || scores < kParallelScores) {
    for (int64_t i = 0; i < items; ++i) item(i);
  } else {
    pool_->ParallelFor(items, item);
  }
}

}  // namespace cacheopt
