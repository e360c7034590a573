// The real engine on llama2.c's stories260K against the published goldens
// (../shared/models/stories260K/README.md); skipped without ../shared.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "model/model_loader.h"
#include "runtime/real_engine.h"
#include "runtime/runtime_test_util.h"

namespace cacheopt {
namespace {

using runtimetest::Greedy;
using runtimetest::QuickOptions;
using runtimetest::RunAll;

const std::string kDir = std::string(CACHEOPT_SHARED_DIR) + "/models/stories260K/";

// `run stories260K.bin -z tok512.bin -t 0.0 -n 200`: 464 bytes.
const std::string kStory =
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw "
    "a big, red ball. She wanted to play with it, but it was too high.\n"
    "Lily's mom said, \"Lily, let's go to the park.\" Lily was sad and didn't know what to do. She said, \"I want to "
    "play with your ball, but I can't find it.\"\n"
    "Lily was sad and didn't know what to do. She said, \"I'm sorry, Lily. I didn't know what to do.\"\n"
    "Lily didn't want to help her mom, so she";
// `-i "Zoo" -n 60`: 60 positions with a 4-token prompt, so 57 generated.
const std::string kZoo =
    "Zoo was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball. She "
    "wanted to play with it, but she didn't want to play with";
// `-i "Once upon a time" -n 64`: the story's first 64 positions, 60 generated.
const std::string kOnceUponEnd = "too high.\nLily";

struct Golden {
  std::string prompt;
  int32_t max_tokens;
};
const std::vector<Golden> kGoldens = {{"", 200}, {"Zoo", 57}, {"Once upon a time", 60}};

class Stories260KEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kDir + "stories260K.bin")) GTEST_SKIP() << "no " << kDir;
  }

  static std::unique_ptr<RealEngine> Make(RealEngineOptions o) {
    auto e = RealEngine::Create(o);
    EXPECT_TRUE(e.ok()) << e.status().message();
    return e.ok() ? std::move(*e) : nullptr;
  }
  static std::shared_ptr<const Model> Bin() {
    auto m = LoadModel(kDir + "stories260K.bin", "", 0);
    EXPECT_TRUE(m.ok()) << m.status().message();
    return std::make_shared<Model>(std::move(*m));
  }
  // The prompt as run.c prints it, then the continuation.
  static std::string Printed(const RealEngine& e, const std::vector<int32_t>& prompt, const std::string& cont) {
    std::string s;
    for (size_t i = 1; i < prompt.size(); ++i) s += e.tokenizer().DecodePiece(prompt[i - 1], prompt[i]);
    return s + cont;
  }
  // Each golden alone, through the engine: the printed text.
  static std::vector<std::string> Alone(RealEngine& e) {
    std::vector<std::string> texts;
    for (const Golden& g : kGoldens) {
      std::vector<int32_t> prompt = e.tokenizer().Encode(g.prompt, true, false);
      auto id = e.Submit(prompt, Greedy(), g.max_tokens);
      EXPECT_TRUE(id.ok()) << id.status().message();
      if (!id.ok()) return texts;
      auto out = RunAll(e);
      EXPECT_EQ(out[*id].tokens.size(), static_cast<size_t>(g.max_tokens)) << g.prompt;
      EXPECT_EQ(out[*id].finish.reason, FinishReason::kLength) << g.prompt;
      texts.push_back(Printed(e, prompt, out[*id].text));
    }
    return texts;
  }
  static void ExpectGoldens(const std::vector<std::string>& texts, const std::string& what) {
    ASSERT_EQ(texts.size(), 3u) << what;
    EXPECT_EQ(texts[0], kStory) << what;
    EXPECT_EQ(texts[0].size(), 464u) << what;
    EXPECT_EQ(texts[1], kZoo) << what;
    EXPECT_EQ(texts[2], kStory.substr(0, kStory.find(kOnceUponEnd) + kOnceUponEnd.size())) << what;
  }
};

// (a, b) The .bin through the engine gives the published text byte for byte.
TEST_F(Stories260KEngineTest, BinReproducesThePublishedGoldens) {
  RealEngineOptions o;
  o.model.path = kDir + "stories260K.bin";
  o.threads = 2;
  o.check_invariants = true;
  auto e = Make(o);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->model().config.context, 512);
  ExpectGoldens(Alone(*e), "bin");
}

// (a, b) The GGUF conversion (declaring 2048) with the trained context 512.
TEST_F(Stories260KEngineTest, GgufReproducesThePublishedGoldens) {
  RealEngineOptions o;
  o.model.path = kDir + "stories260K.gguf";
  o.model.context = 512;
  o.threads = 2;
  o.calibrate.reps = 1;
  auto e = Make(o);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->model().config.context, 512);
  ExpectGoldens(Alone(*e), "gguf");
}

// (c) The three goldens twice each, submitted together with a device tier
// that cannot hold them all: every policy prints the goldens.
TEST_F(Stories260KEngineTest, EveryPolicyGivesTheGoldensTogether) {
  auto model = Bin();
  for (const runtimetest::PolicyMode& c : runtimetest::EveryPolicyMode()) {
    const std::string what = std::string(c.policy) + (c.mode == PreemptMode::kSwap ? " swap" : " recompute");
    RealEngineOptions o = QuickOptions(model, c.policy);
    o.device_blocks = 16;  // 256 tokens for 2 x 327
    o.host_blocks = 64;
    o.preemption_mode = c.mode;
    auto e = Make(o);
    ASSERT_NE(e, nullptr);
    std::vector<std::vector<int32_t>> prompts;
    std::vector<int64_t> ids;
    for (int copy = 0; copy < 2; ++copy) {
      for (const Golden& g : kGoldens) {
        prompts.push_back(e->tokenizer().Encode(g.prompt, true, false));
        ids.push_back(*e->Submit(prompts.back(), Greedy(), g.max_tokens));
      }
    }
    auto out = RunAll(*e);
    const RealEngineStats s = e->stats();
    std::printf("[ %-21s: %lld swap / %lld recompute preemptions, %lld steps ]\n", what.c_str(),
                static_cast<long long>(s.preemptions_swap), static_cast<long long>(s.preemptions_recompute),
                static_cast<long long>(s.steps));
    if (std::string(c.policy) == "vllm") {
      EXPECT_GT(s.preemptions_swap + s.preemptions_recompute, 0) << what;
    }
    for (int copy = 0; copy < 2; ++copy) {
      std::vector<std::string> texts;
      for (size_t g = 0; g < kGoldens.size(); ++g) {
        const size_t i = copy * kGoldens.size() + g;
        texts.push_back(Printed(*e, prompts[i], out[ids[i]].text));
      }
      ExpectGoldens(texts, what);
    }
  }
}

}  // namespace
}  // namespace cacheopt
