// "Same results as llama.cpp" for every weight type (issue 17): our engine
// and llama.cpp evaluate the SAME GGUF file over one teacher-forced sequence
// of 256 random tokens, and their logits are compared at every position:
// top-1 agreement and the max / mean |logit difference|.
//
// The files: for each type, the one `make-model --quant` writes (our
// WriteGgufAs) and the one llama-quantize --pure writes from our F32 file
// (its own quantizer, its fallbacks for rows that are not whole blocks).
// The models: a generated 256-wide model (every K-quant applies; Llama 2
// and Llama 3 styles), the generated 15m model (rows of 288 and 768: the
// K-quants fall back to Q5_0 / Q5_1 / Q8_0) and stories260K (rows of 64 and
// 172: 32-block types, and F16 where not even those fit).
//
// llama.cpp's logits come from scripts/llama-logits.cc (ours, test-only),
// which scripts/build-llama-cpp.sh compiles against the peer's libllama:
// one batch, logits for every position, F32 KV cache, no flash attention.
// Skips with a message when the peer is not built.
//
// What is asserted (docs/quantization.md has the reasoning and figures):
//  * F32: the same arithmetic up to summation order: top-1 >= 99% and
//    |difference| <= 1e-4 of the logit RMS.
//  * F16 / BF16: llama.cpp rounds each activation to F16 / BF16 for these
//    weights (ggml's vec_dot_type) and we keep fp32: mean |difference| <=
//    2^-10 / 2^-7 of the logit RMS, max <= 2^-6 / 2^-4, top-1 >= 99%.
//  * 8-bit types (Q8_0 ... Q6_K): both engines quantize each activation row
//    to int8 the same way (quant_dot.h), but that rounding is a step
//    function: an ulp of difference upstream (attention's summation order)
//    moves a code by one step, and the difference grows through the layers to
//    the size of the activation rounding itself. So the yardstick is
//    llama.cpp's own activation-rounding error: the distance from its logits
//    to our engine on the file's weights dequantized to F32 by llama-quantize
//    (bit for bit the same weights, fp32 activations). Asserted: our mean
//    |difference| from llama.cpp <= 1.25x that distance and our max <= 1.5x
//    its max (two independent roundings of equal size would differ by about
//    1.41x either one's error), and our top-1 agreement with llama.cpp >=
//    min(its agreement with that reference, 99%) minus 3% of positions.
//    Top-1 >= 99% (the goal) is printed, not asserted: on the deeper
//    models the two engines' activation roundings decorrelate (docs).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "exec/cpu/forward.h"
#include "model/ggml_blocks.h"
#include "model/gguf_loader.h"
#include "model/gguf_types.h"
#include "model/model_writer.h"
#include "model/random_model.h"
#include "support/run_command.h"

namespace cacheopt {
namespace {

constexpr int32_t kPositions = 256;

// The logits program's path ("" when the peer is not built).
std::string LogitsTool() {
  if (const char* env = std::getenv("CACHEOPT_LLAMA_LOGITS")) return env;
  return testing::CommandLine(std::string(CACHEOPT_SOURCE_DIR) + "/scripts/build-llama-cpp.sh --logits-tool 2>/dev/null");
}

std::string ScratchDir() {
  const auto dir = std::filesystem::path(::testing::TempDir()) / ("llama_logits_peer_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  return dir.string();
}

// Our logits for every position of `tokens`, one prefill.
std::vector<float> OurLogits(const std::string& path, const std::vector<int32_t>& tokens) {
  auto m = LoadGguf(path, kPositions);
  EXPECT_TRUE(m.ok()) << m.status().message();
  if (!m.ok()) return {};
  ThreadPool pool(2);
  const int32_t bs = 16, blocks = (static_cast<int32_t>(tokens.size()) + bs - 1) / bs;
  KvArena arena(m->config, bs, blocks, 0);
  Forward fwd(*m, GemmMode::kInvariant, &pool);
  std::vector<int32_t> table(blocks);
  for (int32_t i = 0; i < blocks; ++i) table[i] = i;
  std::vector<ForwardSeq> seqs = {{tokens, 0, table, true}};
  std::vector<float> last, all;
  fwd.Run(seqs, &arena, &last, &all);
  return all;
}

std::vector<float> PeerLogits(const std::string& tool, const std::string& path, const std::vector<int32_t>& tokens,
                              const std::string& dir) {
  const std::string tok = dir + "/tokens.i32", out = dir + "/logits.f32";
  {
    std::ofstream f(tok, std::ios::binary);
    f.write(reinterpret_cast<const char*>(tokens.data()), static_cast<std::streamsize>(4 * tokens.size()));
  }
  std::filesystem::remove(out);
  const std::string cmd = tool + " " + path + " " + tok + " " + out + " 2>&1";
  const std::string msg = testing::CommandLine(cmd);
  std::ifstream in(out, std::ios::binary | std::ios::ate);
  EXPECT_TRUE(in.good()) << cmd << ": " << msg;
  if (!in.good()) return {};
  std::vector<float> v(static_cast<size_t>(in.tellg()) / 4);
  in.seekg(0);
  in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(4 * v.size()));
  return v;
}

struct Agreement {
  int32_t agree = 0;
  double max_abs = 0, mean_abs = 0, rms = 0;
};

Agreement Compare(const std::vector<float>& ours, const std::vector<float>& theirs, int32_t vocab) {
  Agreement a;
  double sum = 0, sq = 0;
  for (int32_t p = 0; p < kPositions; ++p) {
    const float* x = &ours[static_cast<size_t>(p) * vocab];
    const float* y = &theirs[static_cast<size_t>(p) * vocab];
    a.agree += std::max_element(x, x + vocab) - x == std::max_element(y, y + vocab) - y;
    for (int32_t v = 0; v < vocab; ++v) {
      const double d = std::fabs(static_cast<double>(x[v]) - y[v]);
      a.max_abs = std::max(a.max_abs, d);
      sum += d;
      sq += static_cast<double>(y[v]) * y[v];
    }
  }
  const double n = static_cast<double>(kPositions) * vocab;
  a.mean_abs = sum / n;
  a.rms = std::sqrt(sq / n);
  return a;
}

struct Type {
  uint32_t type;
  const char* llama_name;  // llama-quantize's type argument
};
constexpr Type kTypes[] = {{kGgmlF32, "F32"},   {kGgmlF16, "F16"},   {kGgmlBF16, "BF16"},  {kGgmlQ8_0, "Q8_0"},
                           {kGgmlQ4_0, "Q4_0"}, {kGgmlQ5_0, "Q5_0"}, {kGgmlQ5_1, "Q5_1"},  {kGgmlQ4_K, "Q4_K_S"},
                           {kGgmlQ5_K, "Q5_K_S"}, {kGgmlQ6_K, "Q6_K"}};

class LlamaLogitsPeer : public ::testing::Test {
 protected:
  void SetUp() override {
    tool_ = LogitsTool();
    if (tool_.empty() || !std::filesystem::exists(tool_))
      GTEST_SKIP() << "llama.cpp peer not built: run scripts/build-llama-cpp.sh (or set CACHEOPT_LLAMA_LOGITS)";
    quantize_ = std::filesystem::path(tool_).parent_path().string() + "/llama-quantize";
    dir_ = ScratchDir();
  }

  // Every type, both writers, for the model in `f32` (an F32 GGUF).
  void CompareEveryType(const Model& m, const std::string& name) {
    const std::string f32 = dir_ + "/" + name + "-F32.gguf";
    ASSERT_TRUE(WriteGguf(m, f32, false).ok());
    const int32_t vocab = m.config.vocab_size;
    std::vector<int32_t> tokens(kPositions);
    std::mt19937 rng(17);
    for (int32_t& t : tokens) t = static_cast<int32_t>(rng() % static_cast<uint32_t>(vocab));
    for (const Type& t : kTypes) {
      for (bool ours : {true, false}) {
        if (t.type == kGgmlF32 && !ours) continue;  // the same file
        const std::string tname = GgmlTypeName(t.type);
        const std::string path = dir_ + "/" + name + "-" + tname + (ours ? "-ours" : "-llama") + ".gguf";
        if (ours) {
          ASSERT_TRUE(WriteGgufAs(m, path, t.type).ok()) << tname;
        } else {
          const std::string cmd = quantize_ + " --pure " + f32 + " " + path + " " + t.llama_name + " > /dev/null 2>&1";
          ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
        }
        const std::vector<float> a = OurLogits(path, tokens);
        const std::vector<float> b = PeerLogits(tool_, path, tokens, dir_);
        ASSERT_EQ(a.size(), static_cast<size_t>(kPositions) * vocab) << path;
        ASSERT_EQ(b.size(), a.size()) << path;
        const Agreement g = Compare(a, b, vocab);
        const std::string what = name + " " + tname + (ours ? " (make-model --quant)" : " (llama-quantize)");
        const int32_t goal = (99 * kPositions + 99) / 100;
        std::string line = "[ peer-logits | " + name + " | " + tname + " | " +
                           (ours ? "make-model --quant" : "llama-quantize") + " | top-1 " + std::to_string(g.agree) +
                           "/" + std::to_string(kPositions);
        char buf[256];
        std::snprintf(buf, sizeof buf, " | max |d| %.3g | mean |d| %.3g | logit RMS %.3g", g.max_abs, g.mean_abs, g.rms);
        line += buf;
        if (t.type == kGgmlF32 || t.type == kGgmlF16 || t.type == kGgmlBF16) {
          const double mean_tol = t.type == kGgmlF32 ? 1e-4 : t.type == kGgmlF16 ? 1.0 / 1024 : 1.0 / 128;
          const double max_tol = t.type == kGgmlF32 ? 1e-4 : t.type == kGgmlF16 ? 1.0 / 64 : 1.0 / 16;
          std::printf("%s ]\n", line.c_str());
          EXPECT_GE(g.agree, goal) << what;
          EXPECT_LE(g.mean_abs, mean_tol * g.rms) << what;
          EXPECT_LE(g.max_abs, max_tol * g.rms) << what;
        } else {
          // The yardstick: llama.cpp against fp32 activations on the same weights.
          const std::string deq = dir_ + "/deq.gguf";
          const std::string cmd = quantize_ + " --allow-requantize " + path + " " + deq + " F32 > /dev/null 2>&1";
          ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
          const Agreement r = Compare(OurLogits(deq, tokens), b, vocab);
          std::snprintf(buf, sizeof buf, " || llama.cpp vs fp32 activations: top-1 %d/%d, max |d| %.3g, mean |d| %.3g",
                        r.agree, kPositions, r.max_abs, r.mean_abs);
          std::printf("%s%s ]\n", line.c_str(), buf);
          EXPECT_LE(g.mean_abs, 1.25 * r.mean_abs) << what;
          EXPECT_LE(g.max_abs, 1.5 * r.max_abs) << what;
          EXPECT_GE(g.agree, std::min(r.agree, goal) - 3 * kPositions / 100) << what;
        }
        if (g.agree < goal) std::printf("[ %s: top-1 agreement below the issue's 99%% ]\n", what.c_str());
        std::fflush(stdout);
      }
    }
  }

  std::string tool_, quantize_, dir_;
};

Model WithContext(Model m) {
  m.config.context = m.config.file_context = std::max(m.config.file_context, kPositions);
  return m;
}

TEST_F(LlamaLogitsPeer, Micro256LlamaAndLlama3) {
  for (const char* style : {"llama", "llama3"}) {
    auto m = MakeRandomModel("micro256", 3, style);
    ASSERT_TRUE(m.ok());
    CompareEveryType(WithContext(*m), std::string("micro256-") + style);
  }
}

TEST_F(LlamaLogitsPeer, Generated15m) {
#ifdef CACHEOPT_SANITIZED_BUILD
  // A numeric comparison of 18 files at 256 positions: a minute optimised,
  // far longer unoptimised under the sanitizers, which the smaller models
  // here cover for memory errors.
  GTEST_SKIP() << "the 15m comparison runs in optimised builds only";
#endif
  auto m = MakeRandomModel("15m", 3);
  ASSERT_TRUE(m.ok());
  CompareEveryType(WithContext(*m), "15m");
}

TEST_F(LlamaLogitsPeer, Stories260K) {
  const std::string src = CACHEOPT_SHARED_DIR "/models/stories260K/stories260K.gguf";
  if (!std::filesystem::exists(src)) GTEST_SKIP() << src << " absent";
  auto m = LoadGguf(src, 0);
  ASSERT_TRUE(m.ok()) << m.status().message();
  CompareEveryType(*m, "stories260K");
}

}  // namespace
}  // namespace cacheopt
