// `cacheopt soak`: the engine soak (src/soak, docs/soak.md).
#include <iostream>

#include "commands.h"
#include "soak/soak_report.h"
#include "soak/soak_runner.h"

namespace cacheopt {

void AddSoakFlags(CLI::App* app, SoakFlags* f) {
  app->add_option("--steps", f->steps, "Run episodes until this many scheduler steps in all")
      ->capture_default_str();
  app->add_option("--seed", f->seed, "Run seed (episode i's seed is derived from it and i)")->capture_default_str();
  app->add_option("--policies", f->policies, "all, or a comma-separated list of policies")->capture_default_str();
  app->add_option("--max-device-blocks", f->max_device_blocks, "Largest device pool drawn")->capture_default_str();
  app->add_option("--min-device-blocks", f->min_device_blocks, "Smallest device pool drawn")->capture_default_str();
  app->add_option("--max-requests", f->max_requests, "Most requests in one episode")->capture_default_str();
  app->add_option("--sim-share", f->sim_share,
                  "Share of episodes on the simulated executor with the GPU cost model (the rest: the fake "
                  "executor)")
      ->capture_default_str();
  app->add_option("--replay-episode", f->replay_episode, "Run only this episode (as a violation's replay line says)");
  app->add_flag("--trace-steps", f->trace_steps, "With --replay-episode: print one line per step");
  app->add_flag("--episode-log", f->episode_log, "Print one line per episode");
}

int RunSoakCommand(const SoakFlags& f) {
  soak::SoakOptions o;
  if (f.steps < 0) return BadInput(Status::InvalidArgument("--steps must be >= 0"));
  o.steps = f.steps;
  o.seed = f.seed;
  if (f.policies != "all") {
    size_t start = 0;
    while (start <= f.policies.size()) {
      size_t comma = f.policies.find(',', start);
      std::string name = f.policies.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!name.empty()) o.policies.push_back(name);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (o.policies.empty()) return BadInput(Status::InvalidArgument("--policies names no policy"));
  }
  o.limits.max_device_blocks = f.max_device_blocks;
  o.limits.min_device_blocks = f.min_device_blocks;
  o.limits.max_requests = f.max_requests;
  o.limits.sim_share = f.sim_share;
  o.replay_episode = f.replay_episode;
  if (f.trace_steps) o.trace = &std::cout;
  if (f.episode_log) o.episode_log = &std::cout;
  auto sum = soak::RunSoak(o);
  if (!sum.ok()) return BadInput(sum.status());
  soak::PrintSummary(std::cout, *sum);
  std::cout.flush();
  soak::PrintTiming(std::cerr, *sum);
  return sum->total.violations == 0 ? 0 : 1;
}

}  // namespace cacheopt
