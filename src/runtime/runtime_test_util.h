// Test helpers: engine options over a shared model with a quick calibration,
// and a run that gathers every request's tokens, text and finish event.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/real_engine.h"

namespace cacheopt::runtimetest {

inline RealEngineOptions QuickOptions(std::shared_ptr<const Model> model, const std::string& policy = "vllm") {
  RealEngineOptions o;
  o.model.model = std::move(model);
  o.policy = policy;
  o.threads = 2;
  o.check_invariants = true;
  o.calibrate.reps = 1;  // tests need a sane fit, not a precise one
  return o;
}

struct Output {
  std::vector<int32_t> tokens;
  std::string text;
  RequestEvent finish;  // the event that ended it
  int finishes = 0;     // must be 1
};

// `also` (optional) sees every event too.
inline std::map<int64_t, Output> RunAll(RealEngine& e, const std::function<void(const RequestEvent&)>& also = nullptr) {
  std::map<int64_t, Output> out;
  Status s = e.RunToCompletion([&](const RequestEvent& ev) {
    if (also) also(ev);
    Output& o = out[ev.id];
    o.tokens.insert(o.tokens.end(), ev.tokens.begin(), ev.tokens.end());
    o.text += ev.text;
    if (ev.finished) {
      o.finish = ev;
      ++o.finishes;
    }
  });
  EXPECT_TRUE(s.ok()) << s.message();
  EXPECT_TRUE(e.error().ok()) << e.error().message();
  for (const auto& [id, o] : out) EXPECT_EQ(o.finishes, 1) << "request " << id;
  return out;
}

inline SamplingParams Greedy(int32_t eos_after = -1, bool ignore_eos = false) {
  SamplingParams p;
  p.eos_after = eos_after;
  p.ignore_eos = ignore_eos;
  return p;
}

// Every policy once, with swap where it offers the choice (and vLLM both ways).
struct PolicyMode {
  const char* policy;
  PreemptMode mode;
};
inline std::vector<PolicyMode> EveryPolicyMode() {
  return {{"vllm", PreemptMode::kSwap},          {"vllm", PreemptMode::kRecompute},
          {"vllm-v1", PreemptMode::kRecompute},  {"sarathi", PreemptMode::kRecompute},
          {"s3", PreemptMode::kSwap},            {"reserve-max", PreemptMode::kRecompute},
          {"cacheopt", PreemptMode::kSwap}};
}

}  // namespace cacheopt::runtimetest
