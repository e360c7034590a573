#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "exec/cpu/calibrate.h"
#include "exec/cpu/forward.h"
#include "exec/cpu/kv_arena.h"
#include "exec/cpu/thread_pool.h"
#include "calibration/cpu_cost_profile.h"
#include "calibration/profile_match.h"
#include "calibration/speed_check.h"
#include "profile_flags.h"
#include "default_model.h"
#include "runtime/model_source.h"

namespace cacheopt {
namespace {

int BadInput(const Status& s) {
  std::cerr << "error: " << s.message() << "\n";
  return 2;
}


// The grid: solo prefills, decode batches at several contexts, and mixed
// steps (a prefill chunk beside decodes, as chunked prefill runs them).
CalibrateOptions Grid(const ProfileFlags& f) {
  CalibrateOptions o;
  o.reps = f.reps;
  o.max_seconds = f.max_seconds;
  o.max_scratch_bytes = int64_t{1} << 30;
  o.copy_blocks = 32;
  if (f.quick) {
    o.prefill_sizes = {8, 32};
    o.decode_batches = {1, 4};
    o.decode_contexts = {16};
    o.extra_shapes.clear();
    return o;
  }
  o.prefill_sizes = {8, 32, 64, 128, 256, 512, 1024, 2048};
  o.decode_batches = {1, 2, 4, 8, 16, 32, 64};
  o.decode_contexts = {16, 128, 512, 1536};
  for (int32_t chunk : {32, 128, 512})
    for (int32_t decodes : {2, 8, 32}) {
      std::vector<SeqWork> s{{chunk, 0}};
      s.insert(s.end(), decodes, SeqWork{1, 256});
      o.extra_shapes.push_back(std::move(s));
    }
  return o;
}

std::string Describe(const std::vector<SeqWork>& s) {
  int32_t prefill = 0, decodes = 0, ctx = 0;
  for (const SeqWork& w : s) {
    if (w.num_tokens > 1 || w.context_before == 0) {
      prefill += w.num_tokens;
    } else {
      ++decodes;
      ctx = std::max(ctx, w.context_before);
    }
  }
  std::string d;
  if (prefill > 0) d += "prefill " + std::to_string(prefill);
  if (decodes > 0) d += (d.empty() ? "" : " + ") + std::to_string(decodes) + " decodes @" + std::to_string(ctx);
  return d;
}

// The name a profile records for its model (what CheckProfileMatches compares).
std::string ProfileModelName(const ModelSource& src) {
  return src.path.empty() ? "random-" + src.generate_config : std::filesystem::path(src.path).stem().string();
}

// --shapes-of BASE: twelve of BASE's shapes up to 40 ms (a serving step's
// range; the long prefills would make the check take seconds) timed alone;
// BASE is written with these timings as its steps. Two such checks of the
// same BASE give the machine's speed between them (SpeedFactor).
int RunSpeedCheck(const ProfileFlags& f, Forward& forward, const ModelSource& src, int threads) {
  auto base = ReadCpuCostProfile(f.shapes_of);
  if (!base.ok()) return BadInput(base.status());
  const ProfileIdentity here{ThisMachineName(), threads, ProfileModelName(src)};
  if (Status st = CheckProfileMatches(*base, f.shapes_of, here); !st.ok()) return BadInput(st);
  if (base->block_size != f.block_size)
    return BadInput(Status::InvalidArgument(f.shapes_of + ": block_size " + std::to_string(base->block_size) +
                                            ", but --block-size is " + std::to_string(f.block_size)));
  CalibrateOptions o;
  o.reps = f.reps;
  o.max_seconds = f.max_seconds;
  o.max_scratch_bytes = int64_t{1} << 30;
  o.copy_blocks = 32;
  o.prefill_sizes.clear();
  o.decode_batches.clear();
  o.decode_contexts.clear();
  o.extra_shapes = SpeedCheckShapes(*base, 12, 0, 40e-3);
  if (o.extra_shapes.empty())
    return BadInput(Status::InvalidArgument(f.shapes_of + ": steps: none took under 40 ms to time again"));
  CpuCostModel scratch(base->kv_bytes_per_token, 1.0);
  CalibrationReport rep;
  Status s = Calibrate(forward, f.block_size, &scratch, o, &rep);
  if (!s.ok()) return BadInput(s);
  CpuCostProfile now;
  for (const CalibrationStep& st : rep.steps) now.steps.push_back({st.seqs, st.seconds});
  auto factor = SpeedFactor(*base, now, "the speed check of " + f.shapes_of);
  if (!factor.ok()) return BadInput(factor.status());
  CpuCostProfile out = *base;
  out.steps = now.steps;
  out.copies.clear();
  for (const CalibrationCopy& cp : rep.copies) out.copies.push_back({cp.blocks, cp.to_host, cp.seconds});
  s = WriteCpuCostProfile(out, f.out);
  if (!s.ok()) return BadInput(s);
  std::printf("speed check: %zu shapes of %s, timed alone now: %.3fx its steps' time (median); wrote %s\n",
              now.steps.size(), f.shapes_of.c_str(), *factor, f.out.c_str());
  return 0;
}

}  // namespace

void AddProfileFlags(CLI::App* app, ProfileFlags* f) {
  app->add_option("--model", f->model,
                  "GGUF or llama2.c checkpoint (default, as serve: ../shared's stories260K, else a random tiny)");
  app->add_option("--tokenizer", f->tokenizer, "llama2.c tokenizer (default: found beside the checkpoint)");
  app->add_option("--context", f->context, "Usable context (0: the model's trained context, else the file's)")
      ->capture_default_str();
  app->add_option("--out", f->out, "Cost profile to write (JSON)")->required();
  app->add_option("--threads", f->threads, "Compute threads, as the server will use (0: every hardware thread)")
      ->capture_default_str();
  app->add_option("--block-size", f->block_size, "KV block size in tokens")->capture_default_str();
  app->add_option("--reps", f->reps, "Timed runs per shape (the median counts)")->capture_default_str();
  app->add_option("--max-seconds", f->max_seconds, "Time budget; the costliest shapes beyond it are skipped")
      ->capture_default_str();
  app->add_flag("--quick", f->quick, "A handful of shapes (seconds, for tests)");
  app->add_option("--shapes-of", f->shapes_of,
                  "A speed check: time twelve of this profile's shapes alone and write it with these timings as "
                  "its steps; two checks of one profile give the machine's speed between them (docs/real-engine.md)");
}

int RunProfile(const ProfileFlags& f) {
  if (f.block_size < 1 || f.block_size > 1024) return BadInput(Status::InvalidArgument("--block-size must be in [1, 1024]"));
  if (f.reps < 1) return BadInput(Status::InvalidArgument("--reps must be >= 1"));
  if (!(f.max_seconds > 0)) return BadInput(Status::InvalidArgument("--max-seconds must be > 0"));
  if (f.threads < 0) return BadInput(Status::InvalidArgument("--threads must be >= 0"));
  ModelSource src;
  ChooseModel(f.model, f.tokenizer, f.context, "profile", &src);
  auto model = LoadModelSource(src);
  if (!model.ok()) return BadInput(model.status());
  const ModelConfig& c = (*model)->config;
  const int threads = f.threads > 0 ? f.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  ThreadPool pool(threads);
  Forward forward(**model, GemmMode::kInvariant, &pool);
  CpuCostModel cost(KvArena::BlockBytes(c, 1), 1.0);  // no forgetting: every shape counts alike
  CalibrationReport rep;
  if (!f.shapes_of.empty()) return RunSpeedCheck(f, forward, src, threads);
  Status s = Calibrate(forward, f.block_size, &cost, Grid(f), &rep);
  if (!s.ok()) return BadInput(s);

  CpuCostProfile p;
  p.model_name = ProfileModelName(src);
  p.model_path = src.path;
  p.machine = ThisMachineName();
  p.threads = threads;
  p.n_layers = c.n_layers;
  p.dim = c.dim;
  p.n_heads = c.n_heads;
  p.n_kv_heads = c.n_kv_heads;
  p.hidden_dim = c.hidden_dim;
  p.vocab_size = c.vocab_size;
  p.context = c.context;
  p.kv_bytes_per_token = cost.KvBytesPerToken();
  p.block_size = f.block_size;
  p.coeffs = cost.coeffs();
  p.copy_bytes_per_s = cost.copy_bytes_per_s();
  for (const CalibrationStep& st : rep.steps) p.steps.push_back({st.seqs, st.seconds});
  for (const CalibrationCopy& cp : rep.copies) p.copies.push_back({cp.blocks, cp.to_host, cp.seconds});
  s = WriteCpuCostProfile(p, f.out);
  if (!s.ok()) return BadInput(s);

  // How well the four-term fit explains what was measured.
  std::printf("%-34s %12s %12s %8s\n", "shape", "measured ms", "model ms", "error");
  std::vector<double> errors;
  for (const CalibrationStep& st : rep.steps) {
    const double model_s = cost.StepTime(st.seqs);
    const double err = (model_s - st.seconds) / st.seconds;
    errors.push_back(std::fabs(err));
    std::printf("%-34s %12.3f %12.3f %+7.1f%%\n", Describe(st.seqs).c_str(), st.seconds * 1e3, model_s * 1e3,
                100 * err);
  }
  std::sort(errors.begin(), errors.end());
  const auto& k = p.coeffs;
  std::printf("\nfit: step = %.4g ms + %.4g us/token + %.4g ns/attention pair + %.4g us/sequence + %.4g ns/KV token "
              "read\n",
              k[0] * 1e3, k[1] * 1e6, k[2] * 1e9, k[3] * 1e6, k[4] * 1e9);
  std::printf("copies between tiers: %.2f GB/s\n", p.copy_bytes_per_s / 1e9);
  if (!errors.empty())
    std::printf("|error| over %zu shapes: median %.1f%%, max %.1f%%\n", errors.size(), 100 * errors[errors.size() / 2],
                100 * errors.back());
  std::printf("%d shapes timed, %d skipped by the time or memory budget, %.1f s, %d threads, %s\n", rep.shapes,
              rep.skipped, rep.seconds, threads, p.machine.c_str());
  std::printf("wrote %s (use: cacheopt simulate --cost-model %s ...)\n", f.out.c_str(), f.out.c_str());
  return 0;
}

}  // namespace cacheopt
