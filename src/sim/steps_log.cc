#include "sim/steps_log.h"

#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

namespace cacheopt {

void WriteStepLine(std::ostream& os, const SchedulerOutput& step, double duration_s,
                   int32_t device_free, int32_t host_free) {
  char buf[128];
  std::snprintf(buf, sizeof(buf), "{\"step\":%lld,\"t\":%.9f,\"dur\":%.9f,\"seqs\":[",
                static_cast<long long>(step.step), step.now, duration_s);
  os << buf;
  bool first = true;
  for (const ScheduledSeq& s : step.seqs) {
    std::snprintf(buf, sizeof(buf), "%s{\"id\":%lld,\"tokens\":%d,\"phase\":\"%s\"}", first ? "" : ",",
                  static_cast<long long>(s.request_id), s.num_tokens, s.prefill() ? "prefill" : "decode");
    os << buf;
    first = false;
  }
  os << "],\"preempted\":[";
  first = true;
  for (const PreemptionRecord& p : step.preempted) {
    std::snprintf(buf, sizeof(buf), "%s{\"id\":%lld,\"kind\":\"%s\",\"blocks\":%d}", first ? "" : ",",
                  static_cast<long long>(p.request_id), p.kind == PreemptKind::kSwap ? "swap" : "recompute",
                  p.blocks);
    os << buf;
    first = false;
  }
  std::snprintf(buf, sizeof(buf),
                "],\"swap_out\":%zu,\"swap_out_ahead\":%zu,\"swap_in\":%zu,\"rejected\":%zu,\"free_device\":%d,"
                "\"free_host\":%d}\n",
                step.swap_out.size(), step.swap_out_ahead.size(), step.swap_in.size(), step.rejected.size(),
                device_free, host_free);
  os << buf;
}

}  // namespace cacheopt

namespace cacheopt {

void WriteRealStepLine(std::ostream& os, const StepRecord& r) {
  char buf[160];
  std::snprintf(buf, sizeof(buf), "{\"step\":%lld,\"t\":%.9f,\"dur\":%.9f,\"seqs\":[", static_cast<long long>(r.step),
                r.start_s, r.wall_s);
  os << buf;
  for (size_t i = 0; i < r.seqs.size(); ++i) {
    std::snprintf(buf, sizeof(buf), "%s{\"id\":%lld,\"tokens\":%d,\"ctx\":%d,\"phase\":\"%s\"}", i == 0 ? "" : ",",
                  static_cast<long long>(r.ids[i]), r.seqs[i].num_tokens, r.seqs[i].context_before,
                  r.prefill[i] ? "prefill" : "decode");
    os << buf;
  }
  std::snprintf(buf, sizeof(buf), "],\"swap_out\":%lld,\"swap_in\":%lld,\"swap_out_ahead\":%lld,",
                static_cast<long long>(r.swap_out_blocks), static_cast<long long>(r.swap_in_blocks),
                static_cast<long long>(r.swap_out_ahead_blocks));
  os << buf;
  std::snprintf(buf, sizeof(buf),
                "\"copy\":%.9f,\"prepare\":%.9f,\"forward\":%.9f,\"sample\":%.9f,\"schedule\":%.9f,\"loop\":%.9f,"
                "\"pred\":%.9f}\n",
                r.copy_s, r.prepare_s, r.forward_s, r.sample_s, r.schedule_s, r.loop_s, r.predicted_s);
  os << buf;
}

namespace {

Status Bad(const std::string& where, const std::string& field, const std::string& what) {
  return Status::InvalidArgument(where + ": field '" + field + "' " + what);
}

template <typename T>
Status Get(const nlohmann::json& j, const char* key, const std::string& where, const std::string& prefix, T* out) {
  auto it = j.find(key);
  if (it == j.end()) return Bad(where, prefix + key, "is missing");
  if (!it->is_number()) return Bad(where, prefix + key, "must be a number");
  const double v = it->get<double>();
  if (!(v >= 0)) return Bad(where, prefix + key, "must be >= 0");
  *out = static_cast<T>(v);
  return Status::Ok();
}

}  // namespace

Result<StepRecord> ParseRealStepLine(std::string_view line, const std::string& where) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument(where + ": not a JSON object");
  StepRecord r;
  Status s;
  if (!(s = Get(j, "step", where, "", &r.step)).ok()) return s;
  if (!(s = Get(j, "t", where, "", &r.start_s)).ok()) return s;
  if (!(s = Get(j, "dur", where, "", &r.wall_s)).ok()) return s;
  const char* blocks[] = {"swap_out", "swap_in", "swap_out_ahead"};
  int64_t* block_out[] = {&r.swap_out_blocks, &r.swap_in_blocks, &r.swap_out_ahead_blocks};
  for (int i = 0; i < 3; ++i)
    if (!(s = Get(j, blocks[i], where, "", block_out[i])).ok()) return s;
  const char* secs[] = {"copy", "prepare", "forward", "sample", "schedule", "loop", "pred"};
  double* secs_out[] = {&r.copy_s, &r.prepare_s, &r.forward_s, &r.sample_s, &r.schedule_s, &r.loop_s, &r.predicted_s};
  for (int i = 0; i < 7; ++i)
    if (!(s = Get(j, secs[i], where, "", secs_out[i])).ok()) return s;
  auto seqs = j.find("seqs");
  if (seqs == j.end()) return Bad(where, "seqs", "is missing");
  if (!seqs->is_array() || seqs->empty()) return Bad(where, "seqs", "must be a non-empty array");
  for (size_t i = 0; i < seqs->size(); ++i) {
    const nlohmann::json& q = (*seqs)[i];
    const std::string prefix = "seqs[" + std::to_string(i) + "].";
    if (!q.is_object()) return Bad(where, "seqs[" + std::to_string(i) + "]", "must be an object");
    int64_t id = 0;
    SeqWork w;
    if (!(s = Get(q, "id", where, prefix, &id)).ok()) return s;
    if (!(s = Get(q, "tokens", where, prefix, &w.num_tokens)).ok()) return s;
    if (!(s = Get(q, "ctx", where, prefix, &w.context_before)).ok()) return s;
    if (w.num_tokens < 1) return Bad(where, prefix + "tokens", "must be >= 1");
    auto phase = q.find("phase");
    if (phase == q.end()) return Bad(where, prefix + "phase", "is missing");
    if (!phase->is_string() || (*phase != "prefill" && *phase != "decode"))
      return Bad(where, prefix + "phase", "must be \"prefill\" or \"decode\"");
    r.ids.push_back(id);
    r.seqs.push_back(w);
    r.prefill.push_back(*phase == "prefill");
  }
  return r;
}

Result<std::vector<StepRecord>> ReadRealStepsLog(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::IoError("cannot read steps log " + path);
  std::vector<StepRecord> out;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto r = ParseRealStepLine(line, path + ":" + std::to_string(n));
    if (!r.ok()) return r.status();
    out.push_back(std::move(*r));
  }
  if (out.empty()) return Status::InvalidArgument(path + ": no steps");
  return out;
}

}  // namespace cacheopt
