#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "generate_flags.h"
#include "default_model.h"
#include "policy_flags.h"
#include "runtime/real_engine.h"
#include "sim/steps_log.h"

namespace cacheopt {
namespace {

// As commands.h's BadInput (not included here: see generate_flags.h).
int BadInput(const Status& s) {
  std::cerr << "error: " << s.message() << "\n";
  return 2;
}

// run.c's safe_printf: a lone control byte (other than whitespace) prints
// nothing. Bytes >= 0x80 are kept, so multi-byte characters split over byte
// tokens still reassemble (run.c drops them).
void Print(const std::string& piece) {
  if (piece.size() == 1) {
    const unsigned char b = static_cast<unsigned char>(piece[0]);
    if ((b < 0x20 && !std::isspace(b)) || b == 0x7f) return;
  }
  std::fwrite(piece.data(), 1, piece.size(), stdout);
}


}  // namespace

void AddGenerateFlags(CLI::App* app, GenerateFlags* f) {
  app->add_option("--model", f->model,
                  "GGUF or llama2.c checkpoint (default: ../shared's stories260K, "
                  "else a random-weight tiny model)");
  app->add_option("--tokenizer", f->tokenizer, "llama2.c tokenizer (default: found beside the checkpoint)");
  app->add_option("--context", f->context, "Usable context (0: the model's trained context, else the file's)")
      ->capture_default_str();
  app->add_option("--prompt,-i", f->prompt, "Prompt text (default: none, BOS alone)");
  app->add_option("-n", f->n, "Tokens to generate (0: up to the context)")->capture_default_str();
  app->add_option("--temperature,-t", f->temperature, "0 = greedy")->capture_default_str();
  app->add_option("--top-p,-p", f->top_p, "Nucleus sampling mass")->capture_default_str();
  app->add_option("--top-k", f->top_k, "Top-k cut (0: off)")->capture_default_str();
  app->add_option("--seed,-s", f->seed, "Sampling seed")->capture_default_str();
  app->add_option("--policy", f->policy, "Scheduling policy")->capture_default_str();
  app->add_option("--set", f->set, "Policy knob KEY=VALUE (repeatable)");
  app->add_option("--preemption-mode", f->preemption_mode, "recompute or swap")->capture_default_str();
  app->add_option("--kv-device-blocks", f->kv_device_blocks, "Device KV blocks (0: 1 GiB worth)");
  app->add_option("--kv-host-blocks", f->kv_host_blocks, "Host KV blocks (default: as many as the device)");
  app->add_option("--threads", f->threads, "Compute threads (0: every hardware thread)");
  app->add_option("--kv-cache-dtype", f->kv_cache_dtype, "KV cache storage: f32, f16 or q8 (int8, a scale per row)")
      ->capture_default_str();
  app->add_option("--steps-log", f->steps_log,
                  "Write one JSON line per engine step (the batch and the measured split; see cacheopt cost-replay)");
}

int RunGenerate(const GenerateFlags& f) {
  RealEngineOptions o;
  ChooseModel(f.model, f.tokenizer, f.context, "", &o.model);
  o.policy = f.policy;
  o.threads = f.threads;
  o.calibrate_only_if_read = true;
  const auto kv_dtype = KvDtypeFromName(f.kv_cache_dtype);
  if (!kv_dtype)
    return BadInput(Status::InvalidArgument("unknown --kv-cache-dtype '" + f.kv_cache_dtype + "'; valid: f32, f16, q8"));
  o.kv_dtype = *kv_dtype;  // one prompt: no cost model unless the policy reads one
  o.device_blocks = f.kv_device_blocks;
  o.host_blocks = f.kv_host_blocks;
  if (Status s = ApplyPolicyFlags(f.preemption_mode, f.set, &o.preemption_mode, &o.knobs); !s.ok())
    return BadInput(s);
  if (f.n < 0) return BadInput(Status::InvalidArgument("-n must be >= 0 (0: up to the context)"));
  std::ofstream steps;
  if (!f.steps_log.empty()) {
    steps.open(f.steps_log);
    if (!steps) return BadInput(Status::IoError("cannot write --steps-log " + f.steps_log));
    o.step_observer = [&steps](const StepRecord& r) { WriteRealStepLine(steps, r); };
  }
  auto made = RealEngine::Create(o);
  if (!made.ok()) return BadInput(made.status());
  RealEngine& engine = **made;

  // Special tokens parsed, as llama.cpp parses a prompt (BPE vocabularies only).
  const std::vector<int32_t> prompt = engine.tokenizer().Encode(f.prompt, true, false, true);
  const int32_t n = f.n > 0 ? f.n : engine.model().config.context - static_cast<int32_t>(prompt.size());
  SamplingParams p;
  p.temperature = f.temperature;
  p.top_p = f.top_p;
  p.top_k = f.top_k;
  p.seed = f.seed;
  const auto start = std::chrono::steady_clock::now();
  auto id = engine.Submit(prompt, p, n);
  if (!id.ok()) return BadInput(id.status());

  // As run.c: the prompt's pieces first (BOS prints nothing), then each new
  // token as it comes.
  // A byte-level BPE vocabulary may add no BOS (Qwen2): then the first
  // token is text too.
  const bool leading_bos = !prompt.empty() && prompt[0] == engine.tokenizer().bos_id();
  for (size_t i = leading_bos ? 1 : 0; i < prompt.size(); ++i)
    Print(engine.tokenizer().DecodePiece(i > 0 ? prompt[i - 1] : -1, prompt[i]));
  std::fflush(stdout);
  int64_t generated = 0;
  std::string reason;
  Status s = engine.RunToCompletion([&](const RequestEvent& ev) {
    Print(ev.text);
    std::fflush(stdout);
    generated += static_cast<int64_t>(ev.tokens.size());
    if (ev.finished) reason = std::string(ToString(ev.reason));
  });
  std::fputs("\n", stdout);
  std::fflush(stdout);
  if (!s.ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return 1;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const RealEngineStats st = engine.stats();
  std::fprintf(stderr,
               "generate: %lld tokens in %.3f s (%.1f tok/s), %lld steps, finish %s; policy %s, %d threads; "
               "calibration %.3f s over %d shapes\n",
               static_cast<long long>(generated), secs, secs > 0 ? generated / secs : 0.0,
               static_cast<long long>(st.steps), reason.c_str(), f.policy.c_str(), engine.executor().threads(),
               engine.calibration().seconds, engine.calibration().shapes);
  return 0;
}

}  // namespace cacheopt
