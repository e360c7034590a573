// Fuzzes the GGUF loader (LoadGguf: header, metadata, tensor directory,
// vocabulary, weights) with the input as the file. Checks: a load either
// fails with a Status that names the file, or gives a model whose config
// passes CheckConfig, whose weights have the shapes the config implies
// (CheckWeights), whose vocabulary has vocab_size finite-scored pieces and
// whose stop ids are sorted, unique and in the vocabulary; the tokenizer
// built from it encodes to ids inside the vocabulary. A loaded model
// written back as GGUF (F32) loads again to the same config, weights and
// vocabulary. Seeds include a file of each quantized type (fuzz/make-seeds.sh).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "model/gguf_loader.h"
#include "model/model_check.h"
#include "model/model_quant.h"
#include "model/model_writer.h"
#include "model/tokenizer.h"

namespace {

using namespace cacheopt;

void CheckModel(const Model& m, const std::string& path) {
  const ModelConfig& c = m.config;
  FUZZ_CHECK(CheckConfig(c, path).ok());
  FUZZ_CHECK(CheckWeights(m, path).ok());
  FUZZ_CHECK(CheckVocabulary(m.vocab, c.vocab_size, path).ok());
  FUZZ_CHECK(c.context == c.file_context);  // no override was given
  FUZZ_CHECK(!c.stop_ids.empty() && std::is_sorted(c.stop_ids.begin(), c.stop_ids.end()));
  FUZZ_CHECK(std::adjacent_find(c.stop_ids.begin(), c.stop_ids.end()) == c.stop_ids.end());
  FUZZ_CHECK(m.source == path);
  const Tokenizer t(m);
  for (const char* text : {"", "Once upon a time", "\xE2\x96\x81\xF0\x9F\x98\x80 <0x41>\n", "<|eot_id|>x 123"}) {
    const std::vector<int32_t> ids = t.Encode(text, true, true, true);
    for (int32_t id : ids) FUZZ_CHECK(id >= 0 && id < c.vocab_size);
    (void)t.Decode(ids);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::ScratchFile file("gguf_fuzz.gguf");
  static fuzz::ScratchFile again("gguf_fuzz_again.gguf");
  file.Write(data, size);
  Result<Model> r = LoadGguf(file.path(), 0);
  if (!r.ok()) {
    FUZZ_CHECK(r.status().message().find(file.path()) != std::string::npos);
    return 0;
  }
  // Quantized (BF16, Q8_0, Q4_0, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K) matrices are checked in
  // their fp32 form: the round trip below then compares dequantized values.
  WidenModelWeights(&*r);
  CheckModel(*r, file.path());

  // Round trip: the writer must accept what the loader gives, and the loader
  // must read the writer's file back unchanged (F32 keeps weights exact).
  FUZZ_CHECK(WriteGguf(*r, again.path(), false).ok());
  Result<Model> back = LoadGguf(again.path(), 0);
  FUZZ_CHECK(back.ok());
  const ModelConfig& a = r->config;
  const ModelConfig& b = back->config;
  FUZZ_CHECK(a.dim == b.dim && a.hidden_dim == b.hidden_dim && a.n_layers == b.n_layers &&
             a.n_heads == b.n_heads && a.n_kv_heads == b.n_kv_heads && a.vocab_size == b.vocab_size &&
             a.file_context == b.file_context && a.bos_id == b.bos_id && a.eos_id == b.eos_id &&
             a.stop_ids == b.stop_ids);
  FUZZ_CHECK(std::memcmp(&a.rms_eps, &b.rms_eps, sizeof(float)) == 0);
  FUZZ_CHECK(std::memcmp(&a.rope_theta, &b.rope_theta, sizeof(float)) == 0);
  FUZZ_CHECK(fuzz::SameWeights(r->weights, back->weights));
  FUZZ_CHECK(r->vocab.pieces == back->vocab.pieces && fuzz::SameFloats(r->vocab.scores, back->vocab.scores));
  // Byte-level BPE vocabularies (Llama 3, Qwen2) and the architecture fields.
  FUZZ_CHECK(r->vocab.kind == back->vocab.kind && r->vocab.merges == back->vocab.merges &&
             r->vocab.pre_tokenizer == back->vocab.pre_tokenizer && r->vocab.add_bos == back->vocab.add_bos);
  FUZZ_CHECK(a.architecture == b.architecture && a.rope_style == b.rope_style && a.sliding_window == b.sliding_window);
  FUZZ_CHECK(r->chat_template == back->chat_template);
  return 0;
}
