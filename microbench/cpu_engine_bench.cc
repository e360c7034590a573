// Decode throughput of the real CPU engine against a plain one-sequence fp32
// loop, on stories260K (when present) and the generated ~110M model.
//
//   build-bench/cpu_engine_bench [--threads N] [--steps N] [--models stories260K,110m,PATH.gguf]
//                                [--streams 1,8,32] [--no-reference] [--no-bandwidth]
//
// A --models entry with a '/' or ending in .gguf/.bin is a model file (any
// type the loader reads: F32, Q8_0, Q4_K ...; scripts/peer-speed.sh runs it
// beside llama.cpp); others are generated configs (MakeRandomModel).
// Each engine run also prints one machine-readable line:
//   result: model=NAME threads=T streams=N tok_s=X step_ms=Y
// and, per model, the memory-bandwidth floor of a decode step:
//   floor: model=NAME threads=T weight_bytes=B kv_bytes_per_token=K read_gbs=G floor_tok_s=F
// (bytes streamed per single-stream token over the read bandwidth this
// machine reaches on a buffer as large as the weights).
//
// For each model:
//  (a) reference: run.c's forward() written the obvious way (naive matmul
//      loops `for i: for j: sum += w[i*n+j]*x[j]`, contiguous KV cache, one
//      token per call), single-threaded as run.c without OpenMP, compiled with
//      this project's flags; a 16-token prompt, then decode tokens (greedy).
//  (b) the engine (vllm policy scheduler + CpuExecutor, ample KV blocks):
//      N streams of 16-token prompts are prefilled first, then only
//      steady-state decode steps (every stream decoding one token) are timed,
//      wall clock around Schedule + Execute + Update.
// Rates come from the median step (token) time, robust to other load on the
// machine; the mean-based rate is printed beside it.
// Timed steps alternate with as many steps run with the profiles attached,
// for the per-step breakdown (matmuls, attention, row ops, sampling,
// scheduling) over the same context lengths. Targets checked on the ~110M model: agg(32) >= 6 x single,
// and single >= reference / 1.25.
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cacheopt/cost/cpu_cost_model.h"
#include "cacheopt/policy_registry.h"
#include "core/sched/scheduler.h"
#include "exec/cpu/cpu_executor.h"
#include "exec/cpu/kv_arena.h"
#include "exec/cpu/quant_dot.h"
#include "exec/cpu/reference_llama.h"
#include "model/model_loader.h"
#include "model/random_model.h"

namespace cacheopt {
namespace {

using Clock = std::chrono::steady_clock;
double Secs(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

constexpr int32_t kPrompt = 16;
constexpr int32_t kWarmup = 4;

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n == 0 ? 0.0 : n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int32_t Argmax(const std::vector<float>& v) {
  return static_cast<int32_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

std::vector<int32_t> Prompt(const ModelConfig& c, uint64_t seed) {
  std::vector<int32_t> p{c.bos_id};
  while (static_cast<int32_t>(p.size()) < kPrompt) {
    seed = SplitMixHash(seed + 0x9e3779b97f4a7c15ULL);
    p.push_back(3 + static_cast<int32_t>(seed % static_cast<uint64_t>(c.vocab_size - 3)));
  }
  return p;
}

struct ReferenceResult {
  double tok_s = 0;       // from the median token time
  double mean_tok_s = 0;  // from the total
  std::vector<int32_t> tokens;  // greedy decode, warm-up included
};

ReferenceResult RunReference(const Model& m, int32_t steps) {
  const std::vector<int32_t> prompt = Prompt(m.config, 0);
  ReferenceLlama ref(m, kPrompt + kWarmup + 2 * steps + 1);
  ReferenceResult res;
  int32_t pos = 0, next = 0;
  for (int32_t t : prompt) next = Argmax(ref.Forward(t, pos++));
  for (int32_t i = 0; i < kWarmup; ++i) {
    res.tokens.push_back(next);
    next = Argmax(ref.Forward(next, pos++));
  }
  // As many tokens as the engine decodes (timed + profiled steps), timed
  // throughout: the same context lengths.
  std::vector<double> times;
  for (int32_t i = 0; i < 2 * steps; ++i) {
    const auto t0 = Clock::now();
    res.tokens.push_back(next);
    next = Argmax(ref.Forward(next, pos++));
    times.push_back(Secs(Clock::now() - t0));
  }
  res.tok_s = 1.0 / Median(times);
  double total = 0;
  for (double t : times) total += t;
  res.mean_tok_s = static_cast<double>(times.size()) / total;
  return res;
}

// ---------------------------------------------------------------------------
// The engine.
struct EngineResult {
  int32_t streams = 0;
  double tok_s = 0;        // aggregate decode tokens/s, from the median timed step
  double mean_tok_s = 0;   // from the mean timed step
  double step_ms = 0;      // median timed step
  double prefill_s = 0;
  // Profiled pass.
  CpuExecutorProfile prof;
  double schedule_s = 0, update_s = 0, wall_s = 0;
  int32_t prof_steps = 0;
  std::vector<int32_t> tokens0;  // stream 0's generated tokens
};

EngineResult RunEngine(const Model& m, int32_t streams, int32_t steps, int32_t threads) {
  const ModelConfig& c = m.config;
  const int32_t block = 16;
  const int32_t max_tokens = kWarmup + 2 * steps + 4;  // never reached: no stream ends
  const int32_t per_seq = (kPrompt + max_tokens + block - 1) / block + 1;
  SchedulerConfig sc;
  sc.block_size = block;
  sc.device_blocks = streams * per_seq + 8;  // ample: no preemption
  sc.host_blocks = 0;
  sc.max_model_len = c.context;
  sc.device_name = "cpu";
  CpuCostModel cost(KvArena::BlockBytes(c, 1));
  cost.SetCoeffs({1e-3, 1e-4, 1e-9, 1e-5}, 5e9);  // only for SLO bookkeeping here
  auto made = MakeScheduler("vllm", sc, &cost);
  if (!made.ok()) {
    std::fprintf(stderr, "scheduler: %s\n", made.status().message().c_str());
    std::exit(1);
  }
  Scheduler& sched = **made;
  sched.set_plan_block_tables(true);  // as a Session does for the CPU executor
  CpuExecutorOptions xo;
  xo.device_blocks = sc.device_blocks;
  xo.host_blocks = 0;
  xo.block_size = block;
  xo.threads = threads;
  CpuExecutor exec(m, xo);
  for (int32_t i = 0; i < streams; ++i) {
    SamplingParams p;  // greedy
    p.ignore_eos = true;
    Status s = exec.AddSequence(i, Prompt(c, static_cast<uint64_t>(i)), p);
    if (!s.ok()) {
      std::fprintf(stderr, "add: %s\n", s.message().c_str());
      std::exit(1);
    }
    RequestSpec spec;
    spec.id = i;
    spec.prompt_tokens = kPrompt;
    spec.max_tokens = max_tokens;
    spec.ttft_slo_s = 1e6;
    spec.tbt_slo_s = 1e6;
    sched.Add(spec);
  }

  EngineResult res;
  res.streams = streams;
  ExecutorOutput out;
  const auto start = Clock::now();
  auto now = [&] { return Secs(Clock::now() - start); };
  // One step; returns true when it was a pure decode step of every stream.
  auto step = [&](double* sched_s, double* update_s) {
    const auto t0 = Clock::now();
    const SchedulerOutput& so = sched.Schedule(now());
    const auto t1 = Clock::now();
    bool decode = static_cast<int32_t>(so.seqs.size()) == streams;
    for (const ScheduledSeq& q : so.seqs) decode = decode && !q.prefill() && q.num_tokens == 1;
    out.results.clear();
    if (!so.empty()) exec.Execute(so, &out);
    const auto t2 = Clock::now();
    sched.Update(out, now());
    const auto t3 = Clock::now();
    if (sched_s != nullptr) *sched_s += Secs(t1 - t0);
    if (update_s != nullptr) *update_s += Secs(t3 - t2);
    return decode;
  };

  // Prefill (and the first decodes) until every stream decodes each step.
  int32_t guard = 0;
  while (!step(nullptr, nullptr)) {
    if (++guard > 10000) {
      std::fprintf(stderr, "engine never reached steady decode with %d streams\n", streams);
      std::exit(1);
    }
  }
  res.prefill_s = now();
  for (int32_t i = 1; i < kWarmup; ++i) step(nullptr, nullptr);

  // Timed steps (profiles off) alternate with profiled ones, so both cover
  // the same range of context lengths.
  double sched_s = 0, update_s = 0, timed = 0;
  std::vector<double> times;
  for (int32_t i = 0; i < 2 * steps; ++i) {
    const bool profiled = i % 2 == 1;
    exec.set_profile(profiled ? &res.prof : nullptr);
    const auto t0 = Clock::now();
    if (profiled) {
      step(&res.schedule_s, &res.update_s);
      res.wall_s += Secs(Clock::now() - t0);
    } else {
      step(&sched_s, &update_s);
      times.push_back(Secs(Clock::now() - t0));
      timed += times.back();
    }
  }
  exec.set_profile(nullptr);
  res.tok_s = streams / Median(times);
  res.mean_tok_s = static_cast<double>(streams) * steps / timed;
  res.step_ms = 1e3 * Median(times);
  res.prof_steps = steps;
  res.tokens0 = exec.GeneratedTokens(0);
  return res;
}

// ---------------------------------------------------------------------------
std::string ReadFirstLine(const std::string& path, const std::string& key = "") {
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line))
    if (key.empty() || line.rfind(key, 0) == 0) return key.empty() ? line : line.substr(line.find(':') + 2);
  return "?";
}

std::string SharedDir() {
  if (const char* e = std::getenv("CACHEOPT_SHARED")) return e;
  for (const char* d : {"../shared", "../../shared"})
    if (std::ifstream(std::string(d) + "/models/stories260K/stories260K.bin").good()) return d;
  return CACHEOPT_SHARED_DIR;
}

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> v;
  std::stringstream ss(s);
  for (std::string x; std::getline(ss, x, ',');) v.push_back(x);
  return v;
}

double WeightBytes(const ModelConfig& c) {
  const double d = c.dim, kv = c.kv_dim(), h = c.hidden_dim;
  return 4.0 * (c.n_layers * (d * (d + 2 * kv) + d * d + 3 * d * h) + c.vocab_size * d);
}

// Bytes of weights one single-stream token reads: quantized matrices in their
// blocks, the rest as fp32 (F16/BF16 are widened at load or in Linear).
double StreamedWeightBytes(const Model& m) {
  auto one = [](const std::vector<float>& f, const QuantMatrix& q) {
    if (!q.empty() && ActBlockFor(q.type) > 0) return static_cast<double>(q.data.size());
    if (!q.empty()) return 4.0 * q.rows * q.cols;
    return 4.0 * static_cast<double>(f.size());
  };
  const ModelWeights& w = m.weights;
  double b = 0;
  for (const LayerWeights& l : w.layers)
    b += one(l.wq, l.wq_q) + one(l.wk, l.wk_q) + one(l.wv, l.wv_q) + one(l.wo, l.wo_q) + one(l.w1, l.w1_q) +
         one(l.w2, l.w2_q) + one(l.w3, l.w3_q);
  const bool tied = w.wcls.empty() && w.wcls_q.empty();
  b += tied ? one(w.token_embedding, w.token_embedding_q) : one(w.wcls, w.wcls_q);
  return b;
}

// Sums n floats with 4 independent AVX-512 accumulators: bound by the memory
// system, not by the add latency.
__attribute__((target("avx512f"))) float SumAvx512(const float* p, size_t n) {
  __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    a0 = _mm512_add_ps(a0, _mm512_loadu_ps(p + i));
    a1 = _mm512_add_ps(a1, _mm512_loadu_ps(p + i + 16));
    a2 = _mm512_add_ps(a2, _mm512_loadu_ps(p + i + 32));
    a3 = _mm512_add_ps(a3, _mm512_loadu_ps(p + i + 48));
  }
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, _mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
  float t = 0;
  for (float l : lanes) t += l;
  return t;
}

float SumPortable(const float* p, size_t n) {
  float acc[16] = {};
  for (size_t i = 0; i + 16 <= n; i += 16)
    for (int j = 0; j < 16; ++j) acc[j] += p[i + j];
  float t = 0;
  for (float a : acc) t += a;
  return t;
}

// Read bandwidth (GB/s) of `threads` threads streaming one buffer of `bytes`
// (each its own slice), warm as the weights are between steps: the best of a
// few passes.
double ReadBandwidth(double bytes, int32_t threads) {
  const size_t n = static_cast<size_t>(bytes / sizeof(float));
  std::vector<float> buf(n, 1.0f);
  const bool avx512 = __builtin_cpu_supports("avx512f");
  const size_t slice = (n / threads + 63) / 64 * 64;
  std::vector<float> sums(static_cast<size_t>(threads));
  auto part = [&](int32_t t) {
    const size_t b = std::min(n, t * slice), e = std::min(n, b + slice);
    sums[t] = avx512 ? SumAvx512(buf.data() + b, e - b) : SumPortable(buf.data() + b, e - b);
  };
  double best = 0;
  for (int pass = 0; pass < 8; ++pass) {
    const auto t0 = Clock::now();
    std::vector<std::thread> ts;
    for (int32_t t = 1; t < threads; ++t) ts.emplace_back(part, t);
    part(0);
    for (std::thread& t : ts) t.join();
    const double s = Secs(Clock::now() - t0);
    if (pass > 0) best = std::max(best, bytes / s / 1e9);
  }
  volatile float sink = 0;
  for (float v : sums) sink = sink + v;
  return best;
}

struct Summary {
  std::string model;
  double ref = 0, single = 0, agg8 = 0, agg32 = 0;
};

Summary BenchModel(const std::string& name, const Model& m, int32_t steps, int32_t threads,
                   const std::vector<int32_t>& streams, bool reference, bool bandwidth) {
  const ModelConfig& c = m.config;
  std::printf("\n== %s: dim %d hidden %d layers %d heads %d/%d vocab %d, "
              "weights %.1f MB as fp32, %.1f MB as stored; "
              "prompt %d, warm-up %d, %d timed + %d profiled decode steps, %d engine threads\n",
              name.c_str(), c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads, c.vocab_size,
              WeightBytes(c) / 1e6, StreamedWeightBytes(m) / 1e6, kPrompt, kWarmup, steps, steps, threads);
  Summary sum;
  sum.model = name;
  if (bandwidth) {
    // KV read per token at the middle of the timed range, f32 cache.
    const double ctx = kPrompt + kWarmup + steps;
    const double kv = 2.0 * c.n_layers * c.kv_dim() * sizeof(float) * ctx;
    const double wb = StreamedWeightBytes(m);
    const double gbs = ReadBandwidth(wb, threads);
    std::printf("memory floor: %.1f MB of weights + %.2f MB of KV per token; %d thread(s) read %.1f GB/s over a "
                "buffer that size, so at most %.0f tok/s\n",
                wb / 1e6, kv / 1e6, threads, gbs, gbs * 1e9 / (wb + kv));
    std::printf("floor: model=%s threads=%d weight_bytes=%.0f kv_bytes_per_token=%.0f read_gbs=%.2f floor_tok_s=%.1f\n",
                name.c_str(), threads, wb, kv, gbs, gbs * 1e9 / (wb + kv));
  }
  ReferenceResult ref;
  if (reference) {
    ref = RunReference(m, steps);
    sum.ref = ref.tok_s;
    std::printf("reference (naive fp32 loop, 1 thread): %.2f tok/s (%.2f ms/token; mean %.2f tok/s)\n", ref.tok_s,
                1e3 / ref.tok_s, ref.mean_tok_s);
  }
  std::vector<EngineResult> rs;
  for (int32_t n : streams) {
    rs.push_back(RunEngine(m, n, steps, threads));
    const EngineResult& r = rs.back();
    std::printf("engine %2d stream%s: %8.2f tok/s aggregate, %7.2f tok/s per stream, %8.3f ms/step "
                "(mean %.2f tok/s; prefill %.2f s)\n",
                n, n == 1 ? " " : "s", r.tok_s, r.tok_s / n, r.step_ms, r.mean_tok_s, r.prefill_s);
    std::printf("result: model=%s threads=%d streams=%d tok_s=%.2f step_ms=%.4f\n", name.c_str(), threads, n,
                r.tok_s, r.step_ms);
    if (n == 1) sum.single = r.tok_s;
    if (n == 8) sum.agg8 = r.tok_s;
    if (n == 32) sum.agg32 = r.tok_s;
    if (n == 1 && reference) {
      size_t same = 0;
      while (same < ref.tokens.size() && same < r.tokens0.size() && ref.tokens[same] == r.tokens0[same]) ++same;
      std::printf("  greedy tokens equal to the reference's: first %zu of %zu\n", same, ref.tokens.size());
    }
  }
  if (sum.single > 0 && sum.ref > 0)
    std::printf("engine single / reference: %.2fx (the reference is %.2fx %s)\n", sum.single / sum.ref,
                sum.single >= sum.ref ? sum.single / sum.ref : sum.ref / sum.single,
                sum.single >= sum.ref ? "slower" : "faster");
  if (sum.single > 0 && sum.agg8 > 0) std::printf("agg8 / single: %.2fx\n", sum.agg8 / sum.single);
  if (sum.single > 0 && sum.agg32 > 0) std::printf("agg32 / single: %.2fx\n", sum.agg32 / sum.single);

  // Breakdown of the profiled pass, as % of the step's wall time.
  std::printf("per-step breakdown (%% of step wall time; profiled steps):\n");
  std::printf("%8s %9s | %6s %6s %6s %6s %6s | %6s %6s %6s %6s %6s %6s | %9s\n", "streams", "ms/step", "qkv", "wo",
              "ffn", "cls", "GEMM", "attn", "rowops", "sample", "execx", "sched", "other", "GEMM GB/s");
  for (const EngineResult& r : rs) {
    const ForwardProfile& f = r.prof.forward;
    const double w = r.wall_s;
    auto pct = [&](double s) { return 100.0 * s / w; };
    const double fwd_other = r.prof.forward_s - f.total_s();  // inside Run, outside the phases
    const double execx = r.prof.copy_s + r.prof.prepare_s + fwd_other;
    const double sched = r.schedule_s + r.update_s;
    const double other = w - r.prof.total_s() - sched;
    std::printf("%8d %9.3f | %6.1f %6.1f %6.1f %6.1f %6.1f | %6.1f %6.1f %6.1f %6.1f %6.1f %6.1f | %9.1f\n", r.streams,
                1e3 * w / r.prof_steps, pct(f.qkv_s), pct(f.wo_s), pct(f.ffn_s), pct(f.cls_s), pct(f.gemm_s()),
                pct(f.attention_s), pct(f.row_ops_s), pct(r.prof.sample_s), pct(execx), pct(sched), pct(other),
                StreamedWeightBytes(m) * r.prof_steps / f.gemm_s() / 1e9);
  }
  std::printf("  (GEMM = qkv+wo+ffn+cls; attn includes the K/V cache writes; rowops: embeddings, RMSNorm, RoPE,\n"
              "   SwiGLU, residuals; execx: swap copies, batch building, forward glue; sched: Schedule+Update;\n"
              "   other: bench loop; GEMM GB/s: weight bytes as stored (quantized blocks, else fp32)\n"
              "   per second of GEMM time)\n");
  return sum;
}

int Main(int argc, char** argv) {
  int32_t threads = static_cast<int32_t>(std::max(1u, std::thread::hardware_concurrency()));
  int32_t steps = 0;  // 0: per model
  std::vector<std::string> models{"stories260K", "110m"};
  std::vector<int32_t> streams{1, 8, 32};
  bool reference = true;
  bool bandwidth = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--threads") {
      threads = std::stoi(val());
    } else if (a == "--steps") {
      steps = std::stoi(val());
    } else if (a == "--models") {
      models = Split(val());
    } else if (a == "--streams") {
      streams.clear();
      for (const std::string& s : Split(val())) streams.push_back(std::stoi(s));
    } else if (a == "--no-reference") {
      reference = false;
    } else if (a == "--no-bandwidth") {
      bandwidth = false;
    } else {
      std::fprintf(stderr,
                   "usage: %s [--threads N] [--steps N] [--models stories260K,110m,15m,...] [--streams 1,8,32] "
                   "[--no-reference] [--no-bandwidth]\n",
                   argv[0]);
      return 2;
    }
  }
  std::printf("cpu_engine_bench: %s, nproc %u, load average %s\n",
              ReadFirstLine("/proc/cpuinfo", "model name").c_str(), std::thread::hardware_concurrency(),
              ReadFirstLine("/proc/loadavg").c_str());
  std::vector<Summary> sums;
  auto is_file = [](const std::string& n) {
    auto ends = [&](const char* e) { return n.size() >= std::strlen(e) && n.rfind(e) == n.size() - std::strlen(e); };
    return n.find('/') != std::string::npos || ends(".gguf") || ends(".bin");
  };
  for (const std::string& name : models) {
    if (is_file(name)) {
      auto m = LoadModel(name, "", 0);
      if (!m.ok()) {
        std::fprintf(stderr, "%s: %s\n", name.c_str(), m.status().message().c_str());
        return 1;
      }
      const std::string base = name.substr(name.find_last_of('/') + 1);
      sums.push_back(BenchModel(base, *m, steps > 0 ? steps : 32, threads, streams, reference, bandwidth));
    } else if (name == "stories260K") {
      const std::string path = SharedDir() + "/models/stories260K/stories260K.bin";
      if (!std::ifstream(path).good()) {
        std::printf("\n== stories260K: skipped (%s not found; set CACHEOPT_SHARED)\n", path.c_str());
        continue;
      }
      auto m = LoadModel(path, "", KnownTrainedContext(path));
      if (!m.ok()) {
        std::printf("\n== stories260K: skipped (%s)\n", m.status().message().c_str());
        continue;
      }
      // Context 512: warm-up + 2 x steps must fit after the prompt.
      int32_t s = steps > 0 ? steps : 128;
      s = std::min(s, (m->config.context - kPrompt - kWarmup - 8) / 2);
      sums.push_back(BenchModel(name, *m, s, threads, streams, reference, bandwidth));
    } else {
      auto m = MakeRandomModel(name, 1);
      if (!m.ok()) {
        std::fprintf(stderr, "%s\n", m.status().message().c_str());
        return 1;
      }
      sums.push_back(
          BenchModel("generated " + name, *m, steps > 0 ? steps : 32, threads, streams, reference, bandwidth));
    }
  }
  std::printf("\n%-18s %10s %10s %10s %10s %9s %9s\n", "model", "ref tok/s", "1 tok/s", "8 tok/s", "32 tok/s",
              "1/ref", "32/1");
  for (const Summary& s : sums)
    std::printf("%-18s %10.2f %10.2f %10.2f %10.2f %9.2f %9.2f\n", s.model.c_str(), s.ref, s.single, s.agg8, s.agg32,
                s.ref > 0 ? s.single / s.ref : 0.0, s.single > 0 ? s.agg32 / s.single : 0.0);
  for (const Summary& s : sums) {
    if (s.model != "generated 110m") continue;
    if (s.single > 0 && s.agg32 > 0)
      std::printf("target 110m agg32 >= 6x single: %s (%.2fx)\n", s.agg32 >= 6 * s.single ? "MET" : "NOT MET",
                  s.agg32 / s.single);
    if (s.single > 0 && s.ref > 0)
      std::printf("target 110m single no more than 1.25x slower than the reference: %s (%.2fx of the reference)\n",
                  s.single * 1.25 >= s.ref ? "MET" : "NOT MET", s.single / s.ref);
  }
  std::printf("load average at the end: %s\n", ReadFirstLine("/proc/loadavg").c_str());
  return 0;
}

}  // namespace
}  // namespace cacheopt

int main(int argc, char** argv) { return cacheopt::Main(argc, argv); }
