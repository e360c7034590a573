#include "model/model_writer.h"

#include <cmath>
#include <fstream>

#include "model/llama2c_format.h"
#include "model/model_check.h"
#include "model/tokenizer_file.h"

namespace cacheopt {
namespace {

// llama2.c's precompute_freqs_cis: cos (real) or sin (imag) of pos * freq_i.
std::vector<float> FreqCis(const ModelConfig& c, bool imag) {
  const int32_t half = c.head_size() / 2;
  std::vector<float> out(static_cast<size_t>(c.file_context) * half);
  for (int32_t pos = 0; pos < c.file_context; ++pos) {
    for (int32_t i = 0; i < half; ++i) {
      const double freq = 1.0 / std::pow(static_cast<double>(c.rope_theta), 2.0 * i / c.head_size());
      const double angle = pos * freq;
      out[static_cast<size_t>(pos) * half + i] = static_cast<float>(imag ? std::sin(angle) : std::cos(angle));
    }
  }
  return out;
}

Status CheckLegacyConstants(const ModelConfig& c, const std::string& path) {
  if (c.rms_eps != 1e-5f || c.rope_theta != 10000.0f || c.bos_id != 1 || c.eos_id != 2)
    return Status::InvalidArgument("cannot write " + path +
                                   ": the llama2.c format fixes rms_eps 1e-5, rope_theta 10000, bos 1, eos 2; "
                                   "this model differs (write GGUF instead)");
  return Status::Ok();
}

}  // namespace

Status WriteLlama2c(const Model& m, const std::string& checkpoint_path, const std::string& tokenizer_path) {
  const std::string where = "cannot write " + checkpoint_path;
  if (Status s = CheckWeights(m, where); !s.ok()) return s;
  if (Status s = CheckVocabulary(m.vocab, m.config.vocab_size, where); !s.ok()) return s;
  if (Status s = CheckLegacyConstants(m.config, checkpoint_path); !s.ok()) return s;

  ModelConfig c = m.config;
  c.file_context = c.context;  // the header's seq_len
  const bool shared = m.weights.wcls == m.weights.token_embedding;
  const Llama2cHeader h{c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads,
                        shared ? c.vocab_size : -c.vocab_size, c.file_context};
  std::ofstream out(checkpoint_path, std::ios::binary | std::ios::trunc);
  if (!out) return Status::IoError(checkpoint_path + ": cannot open for writing");
  auto put = [&out](const std::vector<float>& v) {
    out.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(float)));
  };
  for (const Llama2cSection& s : Llama2cLayout(c, shared)) {
    if (s.part == Llama2cPart::kHeader) {
      out.write(reinterpret_cast<const char*>(&h), sizeof(h));
    } else if (s.part == Llama2cPart::kFreqCisReal || s.part == Llama2cPart::kFreqCisImag) {
      put(FreqCis(c, s.part == Llama2cPart::kFreqCisImag));
    } else {
      for (int32_t item = 0; item < s.items; ++item) put(*Llama2cTensor(m.weights, s.part, item));
    }
  }
  out.close();
  if (!out) return Status::IoError(checkpoint_path + ": write failed");
  if (tokenizer_path.empty()) return Status::Ok();
  return WriteTokenizerFile(m.vocab, tokenizer_path);
}

}  // namespace cacheopt
