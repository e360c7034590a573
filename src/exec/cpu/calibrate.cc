#include "exec/cpu/calibrate.h"

#include <algorithm>
#include <chrono>
#include <string>

namespace cacheopt {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// A rough flop count, only to order shapes cheapest first so the time budget
// cuts the costly ones: weights per token, plus attention per query-key pair.
double Proxy(const ModelConfig& c, const std::vector<SeqWork>& seqs) {
  const CpuCostModel::Coeffs f = CpuCostModel::Features(seqs);
  const double per_token =
      static_cast<double>(c.n_layers) * (2.0 * c.dim * c.dim + 2.0 * c.dim * c.kv_dim() + 3.0 * c.dim * c.hidden_dim) +
      static_cast<double>(c.vocab_size) * c.dim;
  const double per_pair = 2.0 * c.n_layers * c.dim;
  return f[1] * per_token + f[2] * per_pair + f[3] * c.vocab_size * c.dim;
}

std::vector<std::vector<SeqWork>> Shapes(const ModelConfig& c, const CalibrateOptions& o) {
  const int32_t ctx = c.context > 1 ? c.context : 2;
  std::vector<std::vector<SeqWork>> shapes;
  // Clamping can make two shapes equal; keep one.
  auto add = [&](std::vector<SeqWork> s) {
    auto same = [&](const std::vector<SeqWork>& t) {
      return std::equal(s.begin(), s.end(), t.begin(), t.end(), [](const SeqWork& a, const SeqWork& b) {
        return a.num_tokens == b.num_tokens && a.context_before == b.context_before;
      });
    };
    if (std::none_of(shapes.begin(), shapes.end(), same)) shapes.push_back(std::move(s));
  };
  for (int32_t p : o.prefill_sizes)
    if (p > 0) add({{std::min(p, ctx), 0}});
  for (int32_t b : o.decode_batches) {
    for (int32_t k : o.decode_contexts)
      if (b > 0 && k >= 0) add(std::vector<SeqWork>(b, SeqWork{1, std::min(k, ctx - 1)}));
  }
  // One mixed batch: a prefill chunk beside a few decodes, as chunked
  // prefill and vLLM v1 run them.
  if (!o.prefill_sizes.empty() && !o.decode_contexts.empty()) {
    const int32_t k = std::min(o.decode_contexts.back(), ctx - 1);
    const int32_t p = std::min(o.prefill_sizes[o.prefill_sizes.size() / 2], ctx);
    if (p > 0 && k >= 0) add({{p, 0}, {1, k}, {1, k}, {1, k}});
  }
  for (std::vector<SeqWork> s : o.extra_shapes) {
    bool valid = !s.empty();
    for (SeqWork& w : s) {
      // Keep the chunk inside the context: clamp its start, then its length.
      w.context_before = std::clamp(w.context_before, 0, ctx - 1);
      w.num_tokens = std::clamp(w.num_tokens, 0, ctx - w.context_before);
      valid = valid && w.num_tokens > 0;
    }
    if (valid) add(std::move(s));
  }
  return shapes;
}

}  // namespace

Status Calibrate(Forward& forward, int32_t block_size, CpuCostModel* cost, const CalibrateOptions& opts,
                 CalibrationReport* report) {
  const auto start = Clock::now();
  const ModelConfig& c = forward.model().config;
  if (block_size <= 0) return Status::InvalidArgument("calibration needs a positive block size");
  if (opts.reps <= 0) return Status::InvalidArgument("calibration needs reps >= 1");
  auto blocks_for = [&](int64_t tokens) { return static_cast<int32_t>((tokens + block_size - 1) / block_size); };
  auto blocks_of = [&](const std::vector<SeqWork>& s) {
    int64_t n = 0;
    for (const SeqWork& w : s) n += blocks_for(w.context_before + w.num_tokens);
    return n;
  };

  // Keep the shapes the scratch arena can hold, cheapest first.
  const int64_t block_bytes = KvArena::BlockBytes(c, block_size, opts.kv_dtype);
  const int64_t budget_blocks = opts.max_scratch_bytes / block_bytes;
  std::vector<std::vector<SeqWork>> shapes;
  CalibrationReport rep;
  for (auto& s : Shapes(c, opts)) {
    if (blocks_of(s) <= budget_blocks) {
      shapes.push_back(std::move(s));
    } else {
      ++rep.skipped;
    }
  }
  std::stable_sort(shapes.begin(), shapes.end(),
                   [&](const auto& a, const auto& b) { return Proxy(c, a) < Proxy(c, b); });
  if (shapes.empty()) return Status::InvalidArgument("no calibration shape fits max_scratch_bytes");
  int64_t device_blocks = std::max<int64_t>(opts.copy_blocks, 1);
  for (const auto& s : shapes) device_blocks = std::max(device_blocks, blocks_of(s));
  KvArena scratch(c, block_size, static_cast<int32_t>(device_blocks), std::max(opts.copy_blocks, 1), opts.kv_dtype);
  // Real values, not calloc's shared zero page: attention must stream memory
  // as it does on a live cache.
  const int64_t block_floats = block_bytes / static_cast<int64_t>(sizeof(float));
  for (int32_t b = 0; b < device_blocks; ++b) {
    float* p = scratch.Keys(KvTier::kDevice, b, 0, 0);  // a block's first float
    for (int64_t i = 0; i < block_floats; ++i) p[i] = 0.01f * static_cast<float>(i % 7 - 3);
  }

  std::vector<std::vector<int32_t>> tokens, tables;
  std::vector<ForwardSeq> batch;
  std::vector<float> logits;
  auto run = [&](const std::vector<SeqWork>& s) {
    tokens.assign(s.size(), {});
    tables.assign(s.size(), {});
    batch.clear();
    int32_t next_block = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      for (int32_t t = 0; t < s[i].num_tokens; ++t)
        tokens[i].push_back(static_cast<int32_t>((7 * (t + i) + 3) % c.vocab_size));
      for (int32_t b = blocks_for(s[i].context_before + s[i].num_tokens); b > 0; --b) tables[i].push_back(next_block++);
      batch.push_back({tokens[i], s[i].context_before, tables[i], true});
    }
    const auto t0 = Clock::now();
    forward.Run(batch, &scratch, &logits);
    return Since(t0);
  };

  run(shapes.front());   // warm-up: thread pool, scratch buffers
  double per_proxy = 0;  // seconds per proxy unit, from the last shape
  for (const auto& s : shapes) {
    const double proxy = Proxy(c, s);
    if (rep.shapes > 0 && Since(start) + per_proxy * proxy > opts.max_seconds) {
      ++rep.skipped;
      continue;
    }
    std::vector<double> times;
    double spent = 0;
    // A slow shape (a large model's long prefill) takes fewer reps.
    while (static_cast<int32_t>(times.size()) < opts.reps && (times.empty() || spent < opts.max_seconds / 8)) {
      times.push_back(run(s));
      spent += times.back();
    }
    const double t = Median(times);
    cost->ObserveStep(s, t);
    rep.steps.push_back({s, t});
    per_proxy = t / std::max(proxy, 1.0);
    ++rep.shapes;
  }

  // Copies both ways between the scratch tiers.
  const int32_t k = std::max(opts.copy_blocks, 1);
  std::vector<double> out_s, in_s;
  for (int32_t r = 0; r < opts.reps + 1; ++r) {
    auto t0 = Clock::now();
    for (int32_t b = 0; b < k; ++b) scratch.CopyBlock(KvTier::kDevice, b, KvTier::kHost, b);
    out_s.push_back(Since(t0));
    t0 = Clock::now();
    for (int32_t b = 0; b < k; ++b) scratch.CopyBlock(KvTier::kHost, b, KvTier::kDevice, b);
    in_s.push_back(Since(t0));
  }
  out_s.erase(out_s.begin());  // the first touches the host pages
  in_s.erase(in_s.begin());
  cost->ObserveCopy(k, block_size, Median(out_s));
  cost->ObserveCopy(k, block_size, Median(in_s));
  rep.copies.push_back({k, true, Median(out_s)});
  rep.copies.push_back({k, false, Median(in_s)});
  cost->Fit();
  rep.seconds = Since(start);
  if (report != nullptr) *report = rep;
  return Status::Ok();
}

}  // namespace cacheopt
