// Random corruptions of valid files must give a Status, never a crash or a
// huge allocation; run under CACHEOPT_SANITIZE for the full check.
#include <gtest/gtest.h>

#include "model/gguf_loader.h"
#include "model/llama2c_loader.h"
#include "model/model_test_util.h"
#include "model/model_writer.h"
#include "model/random_model.h"
#include "model/weight_rng.h"
#include "model/tokenizer.h"

namespace cacheopt {
namespace {

// Overwrites a few bytes, biased to the first `hot` bytes where the headers,
// lengths and counts live, with random or extreme values.
std::string Mutate(const std::string& good, size_t hot, WeightRng& rng) {
  std::string b = good;
  const int edits = 1 + static_cast<int>(rng.Below(3));
  for (int e = 0; e < edits; ++e) {
    const size_t span = rng.Below(4) == 0 ? b.size() : std::min(hot, b.size());
    const size_t at = rng.Below(span);
    const int width = rng.Below(2) ? 1 : 8;
    const uint64_t value = rng.Below(3) == 0 ? UINT64_MAX >> rng.Below(64) : rng.Next();
    for (int k = 0; k < width && at + k < b.size(); ++k) b[at + k] = static_cast<char>(value >> (8 * k));
  }
  if (rng.Below(5) == 0) b.resize(rng.Below(b.size()));
  return b;
}

TEST(FuzzSmokeTest, MutatedGgufFilesReturnAStatus) {
  const std::string dir = testing::ScratchDir("fuzz_gguf");
  auto m = MakeRandomModel("micro", 1);
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE(WriteGguf(*m, dir + "/good.gguf", true).ok());
  const std::string good = testing::ReadBytes(dir + "/good.gguf");
  WeightRng rng(99);
  int loaded = 0;
  for (int i = 0; i < 300; ++i) {
    testing::WriteBytes(dir + "/m.gguf", Mutate(good, 12000, rng));
    auto r = LoadGguf(dir + "/m.gguf", 0);
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find("m.gguf"), std::string::npos) << r.status().message();
      continue;
    }
    ++loaded;  // a harmless edit (a weight, a score): the tokenizer must still work
    const Tokenizer t(*r);
    EXPECT_EQ(t.Decode(t.Encode("fuzz me", true, true)).size() > 0, true);
  }
  EXPECT_LT(loaded, 300);
}

// The same for byte-level BPE files (Llama 3, Qwen2 styles): tokens,
// merges and token types are what the mutations hit first.
TEST(FuzzSmokeTest, MutatedBpeGgufFilesReturnAStatus) {
  const std::string dir = testing::ScratchDir("fuzz_bpe_gguf");
  for (const char* style : {"llama3", "qwen2"}) {
    auto m = MakeRandomModel("micro", 1, style);
    ASSERT_TRUE(m.ok());
    ASSERT_TRUE(WriteGguf(*m, dir + "/good.gguf", true).ok());
    const std::string good = testing::ReadBytes(dir + "/good.gguf");
    WeightRng rng(97);
    int loaded = 0;
    for (int i = 0; i < 200; ++i) {
      testing::WriteBytes(dir + "/m.gguf", Mutate(good, 16000, rng));
      auto r = LoadGguf(dir + "/m.gguf", 0);
      if (!r.ok()) {
        EXPECT_NE(r.status().message().find("m.gguf"), std::string::npos) << r.status().message();
        continue;
      }
      ++loaded;
      const Tokenizer t(*r);
      for (int32_t id : t.Encode("fuzz <|eot_id|> me 123", true, true, true)) EXPECT_TRUE(id >= 0 && id < t.vocab_size());
    }
    EXPECT_LT(loaded, 200) << style;
  }
}

TEST(FuzzSmokeTest, MutatedLlama2cFilesReturnAStatus) {
  const std::string dir = testing::ScratchDir("fuzz_llama2c");
  auto m = MakeRandomModel("micro", 2);
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE(WriteLlama2c(*m, dir + "/good.bin", dir + "/good_tok.bin").ok());
  const std::string model = testing::ReadBytes(dir + "/good.bin");
  const std::string tok = testing::ReadBytes(dir + "/good_tok.bin");
  WeightRng rng(98);
  for (int i = 0; i < 300; ++i) {
    const bool mutate_model = i % 2 == 0;
    testing::WriteBytes(dir + "/m.bin", mutate_model ? Mutate(model, 28, rng) : model);
    testing::WriteBytes(dir + "/tok.bin", mutate_model ? tok : Mutate(tok, tok.size(), rng));
    auto r = LoadLlama2c(dir + "/m.bin", dir + "/tok.bin", 0);
    if (!r.ok()) {
      EXPECT_FALSE(r.status().message().empty());
    }
  }
}

}  // namespace
}  // namespace cacheopt
