// Greedy tokens against llama.cpp (docs/models.md): the same prompt ids,
// then 32 tokens by argmax from our engine and from llama.cpp through
// node-llama-cpp 3.22.1's prebuilt library (scripts/llama-cpp-greedy.mjs),
// for stories260K (F32 as shipped, F16 as WriteGguf writes it) and
// generated Llama-3-, Qwen2- and Mistral-style models (F32, F16). Skips with a
// message when node or the package is absent.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "exec/cpu/forward.h"
#include "exec/cpu/sampler.h"
#include "model/gguf_loader.h"
#include "model/model_writer.h"
#include "model/random_model.h"
#include "model/tokenizer.h"
#include "support/run_command.h"

namespace cacheopt {
namespace {

constexpr int32_t kSteps = 32;

bool NodePeerPresent() {
  const char* home = std::getenv("HOME");
  const std::string pkg = std::string(home != nullptr ? home : "/root") +
                          "/.cache/cacheopt/node-llama-cpp-3.22.1/node_modules/node-llama-cpp";
  return std::filesystem::exists(pkg) && std::system("node --version > /dev/null 2>&1") == 0;
}

std::string RunCommand(const std::string& cmd) { return testing::RunCommand(cmd).output; }

std::vector<int32_t> OurGreedy(const Model& m, const std::vector<int32_t>& prompt) {
  ThreadPool pool(2);
  KvArena arena(m.config, 16, 8, 1);
  Forward fwd(m, GemmMode::kInvariant, &pool);
  std::vector<int32_t> toks = prompt;
  std::vector<int32_t> blocks(8);
  std::iota(blocks.begin(), blocks.end(), 0);
  std::vector<int32_t> out;
  int32_t start = 0, n = static_cast<int32_t>(toks.size());
  for (int32_t step = 0; step < kSteps; ++step) {
    std::vector<ForwardSeq> seqs = {{std::span<const int32_t>(toks).subspan(start, n), start, blocks, true}};
    std::vector<float> logits;
    fwd.Run(seqs, &arena, &logits);
    const int32_t next = ArgMax(logits);
    out.push_back(next);
    toks.push_back(next);
    start += n;
    n = 1;
  }
  return out;
}

void Compare(const std::string& path, const std::string& what) {
  auto m = LoadGguf(path, 512);
  ASSERT_TRUE(m.ok()) << m.status().message();
  const Tokenizer tok(*m);
  const std::vector<int32_t> prompt = tok.Encode("Once upon a time", true, false);
  const std::vector<int32_t> ours = OurGreedy(*m, prompt);
  const std::string out = RunCommand("node " CACHEOPT_SOURCE_DIR "/scripts/llama-cpp-greedy.mjs " + path + " '" +
                                     nlohmann::json(prompt).dump() + "' " + std::to_string(kSteps) + " 2>&1");
  std::vector<int32_t> theirs;
  try {
    theirs = nlohmann::json::parse(out).get<std::vector<int32_t>>();
  } catch (const std::exception& e) {
    FAIL() << what << ": node peer output is not JSON: " << out.substr(0, 300);
  }
  int32_t same = 0;
  while (same < kSteps && same < static_cast<int32_t>(theirs.size()) && ours[same] == theirs[same]) ++same;
  std::printf("[ %s: %d of %d greedy tokens the same as llama.cpp ]\n", what.c_str(), same, kSteps);
  EXPECT_EQ(ours, theirs) << what << ": " << tok.Decode(ours) << " | " << tok.Decode(theirs);
}

class LlamaCppGreedyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!NodePeerPresent()) GTEST_SKIP() << "node with node-llama-cpp 3.22.1 in ~/.cache/cacheopt not found";
    dir_ = (std::filesystem::path(::testing::TempDir()) / ("llama_cpp_greedy_" + std::to_string(getpid()))).string();
    std::filesystem::create_directories(dir_);
  }
  std::string dir_;
};

TEST_F(LlamaCppGreedyTest, Stories260K) {
  const std::string src = CACHEOPT_SHARED_DIR "/models/stories260K/stories260K.gguf";
  if (!std::filesystem::exists(src)) GTEST_SKIP() << src << " absent";
  Compare(src, "stories260K F32");
  auto m = LoadGguf(src, 0);
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE(WriteGguf(*m, dir_ + "/stories260K-f16.gguf", true).ok());
  Compare(dir_ + "/stories260K-f16.gguf", "stories260K F16");
}

// mistral: its sliding window (64) is longer than prompt + 32 tokens, which
// llama.cpp (no window for llama files) must then agree with.
TEST_F(LlamaCppGreedyTest, GeneratedLlama3Qwen2AndMistral) {
  for (const char* style : {"llama3", "qwen2", "mistral"}) {
    auto m = MakeRandomModel("tiny", 1, style);
    ASSERT_TRUE(m.ok());
    for (bool f16 : {false, true}) {
      const std::string path = dir_ + "/" + style + (f16 ? "-f16" : "-f32") + ".gguf";
      ASSERT_TRUE(WriteGguf(*m, path, f16).ok());
      Compare(path, std::string(style) + (f16 ? " F16" : " F32"));
    }
  }
  // Linear RoPE scaling (rope.scaling.type linear, factor 4) on top of
  // Llama 3's frequency factors.
  auto m = MakeRandomModel("tiny", 1, "llama3");
  ASSERT_TRUE(m.ok());
  m->config.rope_freq_scale = 0.25f;
  ASSERT_TRUE(WriteGguf(*m, dir_ + "/llama3-linear.gguf", false).ok());
  Compare(dir_ + "/llama3-linear.gguf", "llama3 F32, linear RoPE scaling x4");
}

}  // namespace
}  // namespace cacheopt
