#include "exec/cpu/forward.h"
#include "exec/cpu/reference_llama.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <vector>

#include "exec/cpu/sampler.h"
#include "exec/cpu/test_model.h"
#include "model/ggml_blocks.h"
#include "model/gguf_types.h"
#include "model/model_quant.h"

namespace cacheopt {
namespace {

constexpr int32_t kBlockSize = 4;

std::vector<int32_t> Tokens(int32_t n, uint64_t seed, int32_t vocab) {
  std::vector<int32_t> t(n);
  for (int32_t& x : t) {
    seed = SplitMixHash(seed);
    x = static_cast<int32_t>(seed % static_cast<uint64_t>(vocab));
  }
  return t;
}

std::vector<int32_t> Blocks(int32_t first, int32_t n) {
  std::vector<int32_t> b(n);
  std::iota(b.begin(), b.end(), first);
  return b;
}

// One sequence's part of a step: tokens [start, start + n) of `tokens`.
struct Part {
  const std::vector<int32_t>* tokens;
  int32_t start;
  int32_t n;
  const std::vector<int32_t>* blocks;
  bool want = true;
};

// The KV dtype of the Engines a test builds (f32 unless a test sets it).
KvDtype engine_kv_dtype = KvDtype::kF32;

// A forward pass with its own device/host arenas.
struct Engine {
  Engine(const Model& m, GemmMode mode, int threads = 2)
      : pool(threads), arena(m.config, kBlockSize, 64, 16, engine_kv_dtype), fwd(m, mode, &pool) {}
  // Rows of logits for every token of the step ([T][vocab]).
  std::vector<float> Step(const std::vector<Part>& parts, std::vector<float>* last = nullptr) {
    std::vector<ForwardSeq> seqs;
    for (const Part& p : parts)
      seqs.push_back({std::span<const int32_t>(*p.tokens).subspan(p.start, p.n), p.start, *p.blocks, p.want});
    std::vector<float> logits, all;
    fwd.Run(seqs, &arena, &logits, &all);
    if (last != nullptr) *last = logits;
    return all;
  }
  ThreadPool pool;
  KvArena arena;
  Forward fwd;
};

// Row `r` of a [rows][vocab] matrix.
std::vector<float> Row(const std::vector<float>& m, int32_t r, int32_t vocab) {
  return {m.begin() + static_cast<size_t>(r) * vocab, m.begin() + static_cast<size_t>(r + 1) * vocab};
}

bool SameBits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), sizeof(float) * a.size()) == 0;
}

class ForwardTest : public ::testing::Test {
 protected:
  ModelConfig c_ = cputest::TinyConfig();
  Model m_ = cputest::RandomModel(c_, 42);
};

// (a) The batched engine agrees with run.c transcribed token by token, for a
// whole prefill in one step and for decodes after it.
TEST_F(ForwardTest, MatchesRunCReference) {
  const int32_t vocab = c_.vocab_size;
  std::vector<int32_t> toks = Tokens(12, 5, vocab);
  std::vector<int32_t> blocks = Blocks(3, 16);
  Engine e(m_, GemmMode::kInvariant);
  ReferenceLlama ref(m_, m_.config.context);
  double worst = 0;
  auto check = [&](const std::vector<float>& got, const std::vector<float>& want, int32_t pos) {
    float scale = 0;
    double err = 0;
    for (int32_t i = 0; i < vocab; ++i) {
      scale = std::max(scale, std::fabs(want[i]));
      err = std::max(err, static_cast<double>(std::fabs(got[i] - want[i])));
    }
    worst = std::max(worst, err / scale);
    EXPECT_LE(err, 1e-5 * scale) << "pos " << pos;
    EXPECT_EQ(ArgMax(got), ArgMax(want)) << "pos " << pos;
  };
  std::vector<float> all = e.Step({{&toks, 0, 12, &blocks}});
  for (int32_t p = 0; p < 12; ++p) check(Row(all, p, vocab), ref.Forward(toks[p], p), p);
  // Greedy decode: each step feeds the argmax of the previous one.
  std::vector<float> last = Row(all, 11, vocab);
  for (int32_t p = 12; p < 40; ++p) {
    toks.push_back(ArgMax(last));
    last = e.Step({{&toks, p, 1, &blocks}});
    check(last, ref.Forward(toks[p], p), p);
  }
  std::printf("[ worst relative logit error vs run.c reference: %.2e ]\n", worst);
}

// (b) A sequence's logits, bit for bit: alone; batched with others of other
// lengths (prefills and decodes); prefilled in chunks 3+5+1; its cache
// rebuilt by a recompute into other blocks; its blocks swapped out and in.
// Returns whether every comparison held; `log` lists the ones that did not.
bool BatchInvariance(const Model& m, GemmMode mode, std::string* log) {
  const int32_t vocab = m.config.vocab_size;
  bool ok = true;
  auto expect = [&](bool same, const char* what) {
    if (!same) *log += std::string(" ") + what;
    ok = ok && same;
  };
  std::vector<int32_t> a = Tokens(9, 1, vocab);
  std::vector<int32_t> b = Tokens(20, 2, vocab), c = Tokens(5, 3, vocab), d = Tokens(13, 4, vocab);

  // Alone: prefill 9, then decode 2.
  Engine alone(m, mode);
  std::vector<int32_t> ab = Blocks(0, 4);
  std::vector<float> pre = alone.Step({{&a, 0, 9, &ab}});
  a.push_back(ArgMax(Row(pre, 8, vocab)));
  std::vector<float> dec1 = alone.Step({{&a, 9, 1, &ab}});
  a.push_back(ArgMax(dec1));
  std::vector<float> dec2 = alone.Step({{&a, 10, 1, &ab}});

  // Batched: b and d are prefilled first; then a's whole prompt runs next to
  // b's decode, c's prefill and d's decode; then a decodes among them.
  {
    Engine e(m, mode);
    std::vector<int32_t> bb = Blocks(10, 6), cb = Blocks(20, 3), db = Blocks(30, 4), xb = Blocks(40, 4);
    e.Step({{&b, 0, 19, &bb}, {&d, 0, 12, &db}});
    std::vector<float> last;
    std::vector<float> all = e.Step({{&b, 19, 1, &bb}, {&a, 0, 9, &xb}, {&c, 0, 5, &cb}, {&d, 12, 1, &db}}, &last);
    bool rows = true;
    for (int32_t p = 0; p < 9; ++p) rows = rows && SameBits(Row(all, 1 + p, vocab), Row(pre, p, vocab));
    expect(rows, "batched-prefill-rows");
    expect(SameBits(Row(last, 1, vocab), Row(pre, 8, vocab)), "batched-prefill-last");
    std::vector<int32_t> c2 = c;
    c2.push_back(7);
    all = e.Step({{&c2, 5, 1, &cb}, {&a, 9, 1, &xb}}, &last);
    expect(SameBits(Row(all, 1, vocab), dec1), "batched-decode");
  }
  // Chunked prefill 3 + 5 + 1, each chunk next to another sequence's work.
  {
    Engine e(m, mode);
    std::vector<int32_t> xb = Blocks(5, 4), db = Blocks(30, 4);
    std::vector<float> r1 = e.Step({{&a, 0, 3, &xb, false}, {&d, 0, 6, &db}});
    std::vector<float> r2 = e.Step({{&d, 6, 2, &db}, {&a, 3, 5, &xb, false}});
    std::vector<float> r3 = e.Step({{&a, 8, 1, &xb}});
    bool rows = true;
    for (int32_t p = 0; p < 3; ++p) rows = rows && SameBits(Row(r1, p, vocab), Row(pre, p, vocab));
    for (int32_t p = 0; p < 5; ++p) rows = rows && SameBits(Row(r2, 2 + p, vocab), Row(pre, 3 + p, vocab));
    rows = rows && SameBits(Row(r3, 0, vocab), Row(pre, 8, vocab));
    expect(rows, "chunked-prefill");
    expect(SameBits(e.Step({{&a, 9, 1, &xb}}), dec1), "chunked-then-decode");
  }
  // Recompute: prompt + the generated token re-prefilled from 0 into other
  // blocks; its last row is the decode's logits.
  {
    Engine e(m, mode);
    std::vector<int32_t> xb = Blocks(50, 3);
    std::vector<float> all = e.Step({{&a, 0, 10, &xb}});
    expect(SameBits(Row(all, 9, vocab), dec1), "recompute");
    expect(SameBits(e.Step({{&a, 10, 1, &xb}}), dec2), "recompute-then-decode");
  }
  // Swap: after the first decode, the blocks go to the host and come back
  // into other device blocks; the next decode must not notice.
  {
    Engine e(m, mode);
    std::vector<int32_t> xb = Blocks(0, 3), back = {33, 17, 60};
    e.Step({{&a, 0, 9, &xb}});
    e.Step({{&a, 9, 1, &xb}});
    for (int32_t i = 0; i < 3; ++i) e.arena.CopyBlock(KvTier::kDevice, xb[i], KvTier::kHost, 15 - i);
    for (int32_t i = 0; i < 3; ++i) e.arena.CopyBlock(KvTier::kHost, 15 - i, KvTier::kDevice, back[i]);
    expect(SameBits(e.Step({{&a, 10, 1, &back}}), dec2), "swap");
  }
  // One thread instead of two.
  {
    Engine e(m, mode, 1);
    std::vector<int32_t> xb = Blocks(0, 4);
    expect(SameBits(e.Step({{&a, 0, 11, &xb}}), [&] {
             std::vector<float> v = pre;  // rows 0..8, then the two decodes
             v.insert(v.end(), dec1.begin(), dec1.end());
             v.insert(v.end(), dec2.begin(), dec2.end());
             return v;
           }()),
           "one-thread");
  }
  return ok;
}

TEST_F(ForwardTest, InvariantModeIsBitwiseBatchInvariant) {
  std::string log;
  EXPECT_TRUE(BatchInvariance(m_, GemmMode::kInvariant, &log)) << "differs:" << log;
}

// Not an assertion: what the same checks give with cblas_sgemm.
TEST_F(ForwardTest, ReportOpenBlasBatchInvariance) {
  std::string log;
  bool held = BatchInvariance(m_, GemmMode::kOpenBlas, &log);
  std::printf("[ OpenBLAS forward: batch invariance %s%s ]\n", held ? "held" : "broken in:", log.c_str());
}

// Larger sequence and more heads of work than the parallel thresholds, so the
// thread pool actually splits attention and matrix work.
TEST_F(ForwardTest, LongPrefillMatchesDecodeBitwise) {
  const int32_t vocab = c_.vocab_size;
  std::vector<int32_t> t = Tokens(200, 9, vocab);
  std::vector<int32_t> blocks = Blocks(0, 50);
  Engine one(m_, GemmMode::kInvariant), chunks(m_, GemmMode::kInvariant);
  std::vector<float> all = one.Step({{&t, 0, 200, &blocks}});
  std::vector<float> tail = chunks.Step({{&t, 0, 190, &blocks}});
  for (int32_t p = 190; p < 200; ++p)
    ASSERT_TRUE(SameBits(chunks.Step({{&t, p, 1, &blocks}}), Row(all, p, vocab))) << p;
}

// The profile sees every phase and changes no bit of the result.
TEST_F(ForwardTest, ProfileAccumulatesAndChangesNothing) {
  const int32_t vocab = c_.vocab_size;
  std::vector<int32_t> a = Tokens(31, 3, vocab), b = Tokens(9, 4, vocab);
  std::vector<int32_t> ab = Blocks(0, 10), bb = Blocks(20, 10);
  Engine plain(m_, GemmMode::kInvariant), profiled(m_, GemmMode::kInvariant);
  ForwardProfile p;
  profiled.fwd.set_profile(&p);
  for (Engine* e : {&plain, &profiled}) {
    e->Step({{&a, 0, 29, &ab}, {&b, 0, 8, &bb}});
  }
  EXPECT_TRUE(SameBits(plain.Step({{&a, 29, 1, &ab}, {&b, 8, 1, &bb}}),
                       profiled.Step({{&a, 29, 1, &ab}, {&b, 8, 1, &bb}})));
  EXPECT_EQ(p.steps, 2);
  EXPECT_EQ(p.rows, 29 + 8 + 2);
  for (double s : {p.qkv_s, p.wo_s, p.ffn_s, p.cls_s, p.attention_s, p.row_ops_s}) EXPECT_GT(s, 0.0);
  EXPECT_DOUBLE_EQ(p.total_s(), p.gemm_s() + p.attention_s + p.row_ops_s);
  profiled.fwd.set_profile(nullptr);
  profiled.Step({{&a, 30, 1, &ab}});
  EXPECT_EQ(p.steps, 2);
}

}  // namespace
}  // namespace cacheopt

namespace cacheopt {
namespace {

// Step times of a stories15M-sized random model, both GEMM paths (run with
// --gtest_also_run_disabled_tests; OPENBLAS_CORETYPE picks OpenBLAS's kernels).
TEST(ForwardSpeed, DISABLED_Report) {
  ModelConfig c;
  c.dim = 288;
  c.hidden_dim = 768;
  c.n_layers = 6;
  c.n_heads = 6;
  c.n_kv_heads = 6;
  c.vocab_size = 32000;
  c.context = 256;
  Model m = cputest::RandomModel(c, 3);
  for (GemmMode mode : {GemmMode::kInvariant, GemmMode::kOpenBlas}) {
    ThreadPool pool(2);
    KvArena arena(c, 16, 600, 0);
    Forward fwd(m, mode, &pool);
    const int32_t seqs = 32, prompt = 128;
    std::vector<std::vector<int32_t>> toks(seqs), blocks(seqs);
    for (int32_t s = 0; s < seqs; ++s) {
      toks[s] = Tokens(prompt + 16, 100 + s, c.vocab_size);
      blocks[s] = Blocks(s * 10, 10);  // 160 positions
    }
    std::vector<float> logits;
    auto time = [](auto&& f) {
      auto t0 = std::chrono::steady_clock::now();
      f();
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    // Prefill all 32 prompts, 4 per step (512 tokens a step).
    double prefill = 0;
    for (int32_t s0 = 0; s0 < seqs; s0 += 4) {
      std::vector<ForwardSeq> batch;
      for (int32_t s = s0; s < s0 + 4; ++s)
        batch.push_back({std::span<const int32_t>(toks[s]).first(prompt), 0, blocks[s], true});
      prefill += time([&] { fwd.Run(batch, &arena, &logits); });
    }
    // 16 decode steps of all 32 sequences.
    double decode = 0;
    for (int32_t i = 0; i < 16; ++i) {
      std::vector<ForwardSeq> batch;
      for (int32_t s = 0; s < seqs; ++s)
        batch.push_back({std::span<const int32_t>(toks[s]).subspan(prompt + i, 1), prompt + i, blocks[s], true});
      decode += time([&] { fwd.Run(batch, &arena, &logits); });
    }
    std::printf("%-9s prefill %7.0f tokens/s   decode step (32 seqs, ctx ~128) %6.2f ms\n",
                mode == GemmMode::kInvariant ? "invariant" : "openblas", seqs * prompt / prefill, decode / 16 * 1e3);
  }
}

// Quantized weights (each type; the tiny model's widths take llama-quantize's
// Q5_0/Q5_1/Q8_0 or F16 fallbacks for K-quants) and reduced-precision KV caches keep every
// batch-invariance property bit for bit.
TEST(ForwardQuantized, BatchInvariantForEveryWeightTypeAndKvDtype) {
  const ModelConfig c = cputest::TinyConfig();
  for (uint32_t type : {kGgmlQ8_0, kGgmlQ4_0, kGgmlQ4_K, kGgmlQ5_K, kGgmlQ5_0, kGgmlQ5_1, kGgmlBF16}) {
    Model m = cputest::RandomModel(c, 42);
    ASSERT_TRUE(QuantizeModelWeights(&m, type).ok());
    std::string log;
    EXPECT_TRUE(BatchInvariance(m, GemmMode::kInvariant, &log)) << GgmlTypeName(type) << " differs:" << log;
  }
  const Model m = cputest::RandomModel(c, 42);
  for (KvDtype d : {KvDtype::kF16, KvDtype::kQ8}) {
    engine_kv_dtype = d;
    std::string log;
    EXPECT_TRUE(BatchInvariance(m, GemmMode::kInvariant, &log)) << KvDtypeName(d) << " differs:" << log;
  }
  engine_kv_dtype = KvDtype::kF32;
}

// The K-quant kernels themselves (not fallbacks) in a whole forward pass:
// widths that are multiples of 256.
TEST(ForwardQuantized, KQuantModelIsBatchInvariant) {
  ModelConfig c = cputest::TinyConfig();
  c.dim = 256;
  c.hidden_dim = 512;
  c.n_layers = 2;
  for (uint32_t type : {kGgmlQ4_K, kGgmlQ5_K, kGgmlQ6_K}) {
    Model m = cputest::RandomModel(c, 7);
    ASSERT_TRUE(QuantizeModelWeights(&m, type).ok());
    ASSERT_EQ(m.weights.layers[0].wq_q.type, type);
    std::string log;
    EXPECT_TRUE(BatchInvariance(m, GemmMode::kInvariant, &log)) << GgmlTypeName(type) << " differs:" << log;
  }
}

// The quantized forward pass against the same weights widened to fp32 (the
// dequantized reference): they differ only by the kernels' 8-bit activation
// rounding, so the logits agree closely and the top-1 tokens almost always.
TEST(ForwardQuantized, MatchesDequantizedReference) {
  ModelConfig c = cputest::TinyConfig();
  c.dim = 256;
  c.hidden_dim = 512;
  c.n_layers = 2;
  for (uint32_t type : {kGgmlQ8_0, kGgmlQ4_0, kGgmlQ5_0, kGgmlQ5_1, kGgmlQ4_K, kGgmlQ5_K, kGgmlQ6_K}) {
    Model q = cputest::RandomModel(c, 9);
    ASSERT_TRUE(QuantizeModelWeights(&q, type).ok());
    Model wide = q;
    WidenModelWeights(&wide);
    const std::vector<int32_t> toks = Tokens(40, 5, c.vocab_size);
    const std::vector<int32_t> blocks = Blocks(0, 10);
    Engine eq(q, GemmMode::kInvariant), ew(wide, GemmMode::kInvariant);
    const std::vector<float> a = eq.Step({{&toks, 0, 40, &blocks}});
    const std::vector<float> b = ew.Step({{&toks, 0, 40, &blocks}});
    double sq = 0, ref = 0;
    int agree = 0;
    for (int32_t p = 0; p < 40; ++p) {
      const float* x = &a[static_cast<size_t>(p) * c.vocab_size];
      const float* y = &b[static_cast<size_t>(p) * c.vocab_size];
      agree += std::max_element(x, x + c.vocab_size) - x == std::max_element(y, y + c.vocab_size) - y;
      for (int32_t v = 0; v < c.vocab_size; ++v) {
        sq += (x[v] - y[v]) * (x[v] - y[v]);
        ref += y[v] * y[v];
      }
    }
    EXPECT_LT(std::sqrt(sq / ref), 0.03) << GgmlTypeName(type);
    EXPECT_GE(agree, 36) << GgmlTypeName(type);
  }
}

}  // namespace
}  // namespace cacheopt
