// What each KV cache dtype costs in logits against f32, on the real
// stories260K model: a teacher-forced 256-token sequence (a prefill, so every
// position reads the cache), and greedy top-1 agreement. Printed for
// docs/quantization.md; the bounds below are loose sanity limits.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "exec/cpu/forward.h"
#include "model/model_loader.h"

namespace cacheopt {
namespace {

std::vector<float> TeacherForced(const Model& m, const std::vector<int32_t>& tokens, KvDtype dtype) {
  ThreadPool pool(2);
  const int32_t bs = 16, blocks = (static_cast<int32_t>(tokens.size()) + bs - 1) / bs;
  KvArena arena(m.config, bs, blocks, 0, dtype);
  Forward fwd(m, GemmMode::kInvariant, &pool);
  std::vector<int32_t> table(blocks);
  for (int32_t i = 0; i < blocks; ++i) table[i] = i;
  // The prompt in chunks of 32, so later chunks read earlier ones' K/V back
  // from the cache in its stored form.
  std::vector<float> all;
  for (size_t at = 0; at < tokens.size(); at += 32) {
    const size_t n = std::min<size_t>(32, tokens.size() - at);
    std::vector<ForwardSeq> seqs = {{std::span<const int32_t>(tokens).subspan(at, n), static_cast<int32_t>(at), table,
                                     true}};
    std::vector<float> last, rows;
    fwd.Run(seqs, &arena, &last, &rows);
    all.insert(all.end(), rows.begin(), rows.end());
  }
  return all;
}

TEST(KvDtype, LogitErrorAgainstF32OnStories260K) {
  const std::string path = std::string(CACHEOPT_SHARED_DIR) + "/models/stories260K/stories260K.gguf";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no " << path;
  auto m = LoadModel(path, "", 512);
  ASSERT_TRUE(m.ok()) << m.status().message();
  const int32_t vocab = m->config.vocab_size;
  std::vector<int32_t> tokens(256);
  std::mt19937 rng(3);
  tokens[0] = m->config.bos_id;
  for (size_t i = 1; i < tokens.size(); ++i) tokens[i] = static_cast<int32_t>(rng() % static_cast<uint32_t>(vocab));
  const std::vector<float> ref = TeacherForced(*m, tokens, KvDtype::kF32);
  for (KvDtype d : {KvDtype::kF16, KvDtype::kQ8}) {
    const std::vector<float> got = TeacherForced(*m, tokens, d);
    ASSERT_EQ(got.size(), ref.size());
    double max_err = 0, sq = 0, ref_sq = 0;
    int agree = 0;
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
    const double rel = std::sqrt(sq / ref_sq);
    std::printf("[ kv %s vs f32, stories260K, 256 teacher-forced tokens: logit max |err| %.5f, relative RMS %.2e, "
                "top-1 agreement %d/256 ]\n",
                KvDtypeName(d), max_err, rel, agree);
    EXPECT_GT(max_err, 0.0) << KvDtypeName(d);  // it really is stored differently
    EXPECT_LT(rel, d == KvDtype::kF16 ? 1e-3 : 2e-2) << KvDtypeName(d);
    EXPECT_GE(agree, d == KvDtype::kF16 ? 250 : 235) << KvDtypeName(d);
  }
}

}  // namespace
}  // namespace cacheopt
