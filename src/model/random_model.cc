#include "model/random_model.h"

#include <algorithm>
#include <cmath>

#include "model/model_check.h"
#include "model/random_bpe_vocab.h"
#include "model/random_vocab.h"
#include "model/weight_rng.h"

namespace cacheopt {
namespace {

struct Shape {
  const char* name;
  int32_t dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, context;
};

constexpr Shape kShapes[] = {
    {"micro", 16, 40, 2, 4, 2, 384, 64},
    {"tiny", 64, 172, 5, 8, 4, 512, 512},
    {"15m", 288, 768, 6, 6, 6, 32000, 2048},
    {"42m", 512, 1376, 8, 8, 8, 32000, 2048},
    {"110m", 768, 2048, 12, 12, 12, 32000, 2048},
    // Every width a multiple of 256: each K-quant applies (fuzz seeds, tests).
    {"micro256", 256, 256, 1, 4, 2, 384, 64},
};

void Fill(WeightRng& rng, size_t n, std::vector<float>* out) {
  const float scale = 0.02f * std::sqrt(3.0f);  // uniform(-a, a) has sd a/sqrt(3)
  out->resize(n);
  for (float& x : *out) x = rng.Symmetric() * scale;
}

// The llama weights in their draw order (K and V narrower under GQA): every
// style draws these first, so a llama model is a prefix of the others' draws.
void FillLlamaWeights(WeightRng& rng, const ModelConfig& c, ModelWeights* out) {
  const size_t dim = c.dim, hidden = c.hidden_dim, kv = c.kv_dim(), vocab_size = c.vocab_size;
  ModelWeights& w = *out;
  Fill(rng, vocab_size * dim, &w.token_embedding);
  w.layers.resize(c.n_layers);
  for (LayerWeights& L : w.layers) {
    L.rms_att.assign(dim, 1.0f);
    L.rms_ffn.assign(dim, 1.0f);
    Fill(rng, dim * dim, &L.wq);
    Fill(rng, kv * dim, &L.wk);
    Fill(rng, kv * dim, &L.wv);
    Fill(rng, dim * dim, &L.wo);
    Fill(rng, hidden * dim, &L.w1);
    Fill(rng, dim * hidden, &L.w2);
    Fill(rng, hidden * dim, &L.w3);
  }
  w.rms_final.assign(dim, 1.0f);
}

}  // namespace

std::vector<std::string> RandomModelConfigNames() {
  std::vector<std::string> names;
  for (const Shape& s : kShapes) names.emplace_back(s.name);
  return names;
}

Result<ModelConfig> RandomModelConfig(const std::string& config_name) {
  for (const Shape& s : kShapes) {
    if (config_name != s.name) continue;
    ModelConfig c;
    c.dim = s.dim;
    c.hidden_dim = s.hidden_dim;
    c.n_layers = s.n_layers;
    c.n_heads = s.n_heads;
    c.n_kv_heads = s.n_kv_heads;
    c.vocab_size = s.vocab_size;
    c.context = c.file_context = s.context;
    c.stop_ids = {1, 2};
    return c;
  }
  std::string allowed;
  for (const std::string& n : RandomModelConfigNames()) allowed += (allowed.empty() ? "" : ", ") + n;
  return Status::InvalidArgument("unknown model config '" + config_name + "'; allowed: " + allowed);
}

std::vector<std::string> RandomModelStyleNames() { return {"llama", "llama3", "qwen2", "mistral"}; }

// The chat templates the Hugging Face tokenizer configs of Llama 3 Instruct,
// Qwen2 Instruct and Mistral 7B Instruct v0.1 carry (what their GGUF
// tokenizer.chat_template holds).
constexpr const char* kLlama3Template =
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + "
    "message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 "
    "%}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ "
    "'<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";
constexpr const char* kChatMlTemplate =
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou "
    "are a helpful assistant.<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + "
    "message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' "
    "}}{% endif %}";
constexpr const char* kMistralTemplate =
    "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ "
    "raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if "
    "message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == "
    "'assistant' %}{{ message['content'] + eos_token + ' ' }}{% else %}{{ raise_exception('Only user and assistant "
    "roles are supported!') }}{% endif %}{% endfor %}";

// Llama 3.1's per-frequency RoPE factors, as llama.cpp's converter
// (conversion/llama.py, generate_extra_tensors) computes rope_freqs.
std::vector<float> Llama3RopeFactors(int32_t head_size, float theta) {
  const double factor = 8, low = 1, high = 4, old_context = 8192;
  const double low_wavelen = old_context / low, high_wavelen = old_context / high;
  std::vector<float> out;
  for (int32_t i = 0; i < head_size; i += 2) {
    const double freq = 1.0 / std::pow(static_cast<double>(theta), static_cast<double>(i) / head_size);
    const double wavelen = 2 * M_PI / freq;
    if (wavelen < high_wavelen) {
      out.push_back(1.0f);
    } else if (wavelen > low_wavelen) {
      out.push_back(static_cast<float>(factor));
    } else {
      const double smooth = (old_context / wavelen - low) / (high - low);
      out.push_back(static_cast<float>(1.0 / ((1 - smooth) / factor + smooth)));
    }
  }
  return out;
}

int32_t GroupedKvHeads(int32_t n_heads) {
  return n_heads % 4 == 0 ? n_heads / 4 : n_heads % 3 == 0 ? n_heads / 3 : n_heads % 2 == 0 ? n_heads / 2 : n_heads;
}

Result<Model> MakeRandomModel(const std::string& config_name, uint64_t seed, const std::string& style) {
  if (style == "llama") return MakeRandomModel(config_name, seed);
  const auto styles = RandomModelStyleNames();
  if (std::find(styles.begin(), styles.end(), style) == styles.end())
    return Status::InvalidArgument("unknown model style '" + style + "'; valid: llama, llama3, qwen2, mistral");
  auto config = RandomModelConfig(config_name);
  if (!config.ok()) return config.status();
  ModelConfig c = *config;
  c.n_kv_heads = GroupedKvHeads(c.n_heads);
  Vocabulary vocab;
  if (style == "mistral") {
    auto v = MakeRandomVocabulary(c.vocab_size);
    if (!v.ok()) return v.status();
    vocab = std::move(*v);
    c.sliding_window = std::max(1, c.context / 8);
  } else {
    BpeVocabSpec spec;
    spec.vocab_size = c.vocab_size;
    if (style == "llama3") {
      spec.pre_tokenizer = "llama-bpe";
      spec.control = {"<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>",
                      "<|eot_id|>"};
      spec.add_bos = true;
      c.rope_theta = 500000.0f;
    } else {
      spec.pre_tokenizer = "qwen2";
      spec.user_defined = {"<think>", "</think>"};
      spec.control = {"<|endoftext|>", "<|im_start|>", "<|im_end|>"};
      spec.add_bos = false;
      c.architecture = "qwen2";
      c.rope_style = ModelConfig::RopeStyle::kHalfSplit;
      c.rope_theta = 1000000.0f;
      c.rms_eps = 1e-6f;
    }
    auto v = MakeRandomBpeVocabulary(spec);
    if (!v.ok()) return v.status();
    vocab = std::move(*v);
    const int32_t first_special = c.vocab_size - static_cast<int32_t>(spec.control.size());
    c.bos_id = first_special;  // <|begin_of_text|> / <|endoftext|>
    c.eos_id = style == "llama3" ? first_special + 1 : first_special;
    c.stop_ids = ByteBpeStopIds(vocab, c.eos_id);
  }
  Model m;
  m.config = c;
  m.vocab = std::move(vocab);
  m.source = "generated:" + style + "-" + config_name;
  m.chat_template = style == "llama3" ? kLlama3Template : style == "qwen2" ? kChatMlTemplate : kMistralTemplate;
  // The llama draw order (K and V narrower under GQA), then the extras.
  WeightRng rng(WeightRng(seed ^ 0x63616368656f7074ull).Next());
  const size_t dim = c.dim, kv = c.kv_dim(), vocab_size = c.vocab_size;
  ModelWeights& w = m.weights;
  FillLlamaWeights(rng, c, &w);
  if (style == "qwen2") {
    for (LayerWeights& L : w.layers) {
      // Biases large enough to matter (Qwen2's are of order 0.1-1).
      Fill(rng, dim, &L.bq);
      Fill(rng, kv, &L.bk);
      Fill(rng, kv, &L.bv);
      for (auto* b : {&L.bq, &L.bk, &L.bv})
        for (float& x : *b) x *= 10.0f;
    }
  }
  if (style == "llama3") {
    Fill(rng, vocab_size * dim, &w.wcls);  // untied, as Llama 3 8B
    w.rope_freq_factors = Llama3RopeFactors(c.head_size(), c.rope_theta);
  } else {
    w.wcls = w.token_embedding;
  }
  if (Status s = CheckWeights(m, m.source); !s.ok()) return s;
  return m;
}

Result<Model> MakeRandomModel(const std::string& config_name, uint64_t seed) {
  auto config = RandomModelConfig(config_name);
  if (!config.ok()) return config.status();
  auto vocab = MakeRandomVocabulary(config->vocab_size);
  if (!vocab.ok()) return vocab.status();
  Model m;
  m.config = *config;
  m.vocab = std::move(*vocab);
  m.source = "generated:" + config_name;
  const ModelConfig& c = m.config;
  // Mix the seed so seeds 0, 1, 2... start far apart in SplitMix's sequence.
  WeightRng rng(WeightRng(seed ^ 0x63616368656f7074ull).Next());
  ModelWeights& w = m.weights;
  FillLlamaWeights(rng, c, &w);
  w.wcls = w.token_embedding;  // shared, as in llama2.c's stories models
  if (Status s = CheckWeights(m, m.source); !s.ok()) return s;
  return m;
}

}  // namespace cacheopt
