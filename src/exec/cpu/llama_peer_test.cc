// Our GGUF types against llama.cpp's (the peer built by
// scripts/build-llama-cpp.sh; skipped with a message when it is not built):
// llama-quantize writes each type from our F32 file, and
//  1. our dequantization of its blocks equals its own (llama-quantize
//     --allow-requantize to F32 dequantizes with ggml's to_float), bit for bit;
//  2. our engine on its quantized file gives logits within the type's
//     resolution of our F32 file's over a teacher-forced 256-token sequence;
//     top-1 agreement is reported (see below why not asserted).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "exec/cpu/forward.h"
#include "model/ggml_blocks.h"
#include "model/gguf_file.h"
#include "model/gguf_types.h"
#include "model/gguf_loader.h"
#include "model/model_quant.h"
#include "model/model_writer.h"
#include "model/random_model.h"
#include "model/model_test_util.h"
#include "support/run_command.h"

namespace cacheopt {
namespace {

std::string PeerBinDir() {
  if (const char* env = std::getenv("CACHEOPT_LLAMA_BIN")) return env;
  const std::string cmd = std::string(CACHEOPT_SOURCE_DIR) + "/scripts/build-llama-cpp.sh --bin-dir 2>/dev/null";
  return testing::CommandLine(cmd);
}

bool RunQuiet(const std::string& cmd) { return std::system((cmd + " > /dev/null 2>&1").c_str()) == 0; }

// Widths that are multiples of 256, so every matrix takes the K-quant asked
// for; a 256-token context for the teacher-forced sequence.
Model PeerModel() {
  Model m = *MakeRandomModel("micro", 11);
  ModelConfig& c = m.config;
  c.dim = 256;
  c.hidden_dim = 512;
  c.n_layers = 2;
  c.n_heads = 4;
  c.n_kv_heads = 4;
  c.context = c.file_context = 256;
  std::mt19937 rng(13);
  const float in_dim = 1.0f / std::sqrt(256.0f);
  std::normal_distribution<float> g(0.0f, 1.0f);
  auto fill = [&](std::vector<float>* v, size_t n, float scale) {
    v->resize(n);
    for (float& x : *v) x = g(rng) * scale;
  };
  const size_t dim = c.dim, hid = c.hidden_dim, vocab = c.vocab_size;
  fill(&m.weights.token_embedding, vocab * dim, 1.0f);
  fill(&m.weights.wcls, vocab * dim, 4.0f * in_dim);
  m.weights.rms_final.assign(dim, 1.0f);
  m.weights.layers.resize(c.n_layers);
  for (LayerWeights& L : m.weights.layers) {
    L.rms_att.assign(dim, 1.0f);
    L.rms_ffn.assign(dim, 1.0f);
    for (auto* w : {&L.wq, &L.wk, &L.wv, &L.wo}) fill(w, dim * dim, in_dim);
    fill(&L.w1, hid * dim, in_dim);
    fill(&L.w3, hid * dim, in_dim);
    fill(&L.w2, dim * hid, 1.0f / std::sqrt(512.0f));
  }
  return m;
}

// Logits of every position of `tokens`, one prefill.
std::vector<float> TeacherForced(const Model& m, const std::vector<int32_t>& tokens) {
  ThreadPool pool(2);
  const int32_t bs = 16, blocks = (static_cast<int32_t>(tokens.size()) + bs - 1) / bs;
  KvArena arena(m.config, bs, blocks, 0);
  Forward fwd(m, GemmMode::kInvariant, &pool);
  std::vector<int32_t> table(blocks);
  for (int32_t i = 0; i < blocks; ++i) table[i] = i;
  std::vector<ForwardSeq> seqs = {{tokens, 0, table, true}};
  std::vector<float> last, all;
  fwd.Run(seqs, &arena, &last, &all);
  return all;
}

struct PeerType {
  const char* llama_name;  // llama-quantize's type argument (with --pure)
  uint32_t type;
};

TEST(LlamaPeer, DequantizationAndTopOneAgreeWithLlamaQuantize) {
  const std::string bin = PeerBinDir();
  if (bin.empty() || !std::filesystem::exists(bin + "/llama-quantize"))
    GTEST_SKIP() << "llama.cpp peer not built: run scripts/build-llama-cpp.sh (or set CACHEOPT_LLAMA_BIN)";
  const std::string dir = testing::ScratchDir("llama_peer");
  const Model m = PeerModel();
  const std::string f32 = dir + "/f32.gguf";
  ASSERT_TRUE(WriteGguf(m, f32, false).ok());
  const int32_t vocab = m.config.vocab_size;
  std::vector<int32_t> tokens(256);
  std::mt19937 rng(17);
  for (int32_t& t : tokens) t = static_cast<int32_t>(rng() % static_cast<uint32_t>(vocab));
  const std::vector<float> ref = TeacherForced(m, tokens);

  for (const PeerType& pt : {PeerType{"Q8_0", kGgmlQ8_0}, PeerType{"Q4_0", kGgmlQ4_0}, PeerType{"Q4_K_S", kGgmlQ4_K},
                             PeerType{"Q5_K_S", kGgmlQ5_K}, PeerType{"Q6_K", kGgmlQ6_K}, PeerType{"BF16", kGgmlBF16},
                             PeerType{"Q5_0", kGgmlQ5_0}, PeerType{"Q5_1", kGgmlQ5_1}}) {
    const std::string name = GgmlTypeName(pt.type);
    const std::string q = dir + "/" + name + ".gguf", deq = dir + "/" + name + "-deq.gguf";
    ASSERT_TRUE(RunQuiet(bin + "/llama-quantize --pure " + f32 + " " + q + " " + pt.llama_name)) << name;
    ASSERT_TRUE(RunQuiet(bin + "/llama-quantize --allow-requantize " + q + " " + deq + " F32")) << name;
    auto qin = FileReader::Open(q);
    auto din = FileReader::Open(deq);
    ASSERT_TRUE(qin.ok() && din.ok());
    auto qf = ReadGgufDirectory(*qin);
    auto df = ReadGgufDirectory(*din);
    ASSERT_TRUE(qf.ok() && df.ok()) << name;
    int checked = 0;
    for (const GgufTensorInfo& t : qf->tensors) {
      if (t.dims.size() != 2) continue;
      EXPECT_EQ(t.type, pt.type) << t.name;
      auto ours = ReadGgufTensor(*qin, *qf, t);  // our dequantization of their blocks
      const GgufTensorInfo* dt = df->FindTensor(t.name);
      ASSERT_NE(dt, nullptr);
      auto theirs = ReadGgufTensor(*din, *df, *dt);
      ASSERT_TRUE(ours.ok() && theirs.ok()) << t.name;
      ASSERT_EQ(ours->size(), theirs->size());
      size_t differ = 0;
      for (size_t i = 0; i < ours->size(); ++i) differ += std::memcmp(&(*ours)[i], &(*theirs)[i], 4) != 0;
      EXPECT_EQ(differ, 0u) << name << " " << t.name << ": " << differ << " of " << ours->size() << " values differ";
      ++checked;
    }
    EXPECT_GT(checked, 0);

    auto qm = LoadGguf(q, 0);
    ASSERT_TRUE(qm.ok()) << qm.status().message();
    const std::vector<float> got = TeacherForced(*qm, tokens);
    int agree = 0;
    double max_err = 0, sq = 0, ref_sq = 0;
    for (size_t p = 0; p < tokens.size(); ++p) {
      const float* a = &ref[p * vocab];
      const float* b = &got[p * vocab];
      agree += std::max_element(a, a + vocab) - a == std::max_element(b, b + vocab) - b;
      for (int32_t v = 0; v < vocab; ++v) {
        max_err = std::max(max_err, static_cast<double>(std::fabs(a[v] - b[v])));
        sq += (a[v] - b[v]) * (a[v] - b[v]);
        ref_sq += a[v] * a[v];
      }
    }
    const double rate = agree / static_cast<double>(tokens.size());
    const double rel = std::sqrt(sq / ref_sq);
    std::printf("[ %s (llama-quantize): top-1 agreement %.1f%% over %zu positions, logit max |err| %.4f, "
                "relative RMS %.4f ]\n",
                name.c_str(), 100 * rate, tokens.size(), max_err, rel);
    // Asserted: the logit error within the type's resolution (relative RMS
    // of the weights' rounding, about 2^-8 for BF16, 1/127 for Q8_0, 1/31
    // to 1/7 for the 6- to 4-bit types, times a small factor for the layers
    // compounding and the 8-bit activations). Reported, not asserted: top-1
    // agreement >= 99% (issue 17). On this random model the top two logits
    // are often closer than that error (even BF16 flips ~2% of positions),
    // so agreement measures the model's margins more than the kernels. The
    // issue's agreement with llama.cpp itself, on the same file, is
    // LlamaLogitsPeer.* (tests/llama_logits_peer_test.cc).
    const double bound = pt.type == kGgmlBF16   ? 0.01
                         : pt.type == kGgmlQ8_0 ? 0.04
                         : pt.type == kGgmlQ6_K ? 0.08
                         : pt.type == kGgmlQ5_K || pt.type == kGgmlQ5_0 || pt.type == kGgmlQ5_1 ? 0.15
                                                : 0.30;
    EXPECT_LT(rel, bound) << name;
    if (rate < 0.99) std::printf("[ %s: top-1 agreement below the issue's 99%% (see the comment above) ]\n", name.c_str());
  }
}

}  // namespace
}  // namespace cacheopt
