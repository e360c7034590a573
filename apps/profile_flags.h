// `profile`'s flags. Apart from commands.h for the reason generate_flags.h
// gives (the sampler's SplitMix64 and core/random's would meet).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace cacheopt {

// `profile --out FILE`: times the real engine's forward pass over a grid of
// batch shapes and the copies between the KV tiers, fits the CPU cost model
// and writes it (profile/cpu_cost_profile.h) for `simulate --cost-model`.
struct ProfileFlags {
  std::string model;      // "" = as serve: ../shared's stories260K, else a random `tiny`
  std::string tokenizer;  // llama2.c only (not needed to time)
  int32_t context = 0;    // 0 = the known trained context, else the file's
  std::string out;
  int32_t threads = 0;    // 0: every hardware thread, as serve
  int32_t block_size = 16;
  int32_t reps = 5;
  double max_seconds = 120;
  bool quick = false;     // a few shapes only (tests)
  // A speed check (calibration/speed_check.h): time a few of this profile's
  // own shapes alone and write the profile with these timings as its steps.
  std::string shapes_of;
};
void AddProfileFlags(CLI::App* app, ProfileFlags* f);
int RunProfile(const ProfileFlags& f);

}  // namespace cacheopt
