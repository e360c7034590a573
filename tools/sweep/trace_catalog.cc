#include "sweep/trace_catalog.h"

#include <filesystem>

#include "cacheopt/util/names.h"
#include "trace/prefix_workloads.h"
#include "trace/synthetic.h"

namespace cacheopt::experiment {

namespace fs = std::filesystem;

const std::vector<std::pair<std::string, std::string>>& TraceAliases() {
  static const std::vector<std::pair<std::string, std::string>> kAliases = {
      {"azure_conv", "azure_llm_2023/AzureLLMInferenceTrace_conv.csv"},
      {"splitwise_conv", "vidur_processed_traces/splitwise_conv.csv"},
      {"sharegpt", "vidur_processed_traces/sharegpt_8k_filtered_stats_llama2_tokenizer.csv"},
      {"bwb", "vidur_processed_traces/bwb_stats_llama2_tokenizer_filtered_v2.csv"},
      {"arxiv", "vidur_processed_traces/arxiv_summarization_stats_llama2_tokenizer_filtered_v2.csv"},
      {"mooncake", "mooncake/synthetic_trace.jsonl"},
  };
  return kAliases;
}

std::vector<std::string> TraceNames() {
  std::vector<std::string> names;
  for (const auto& [n, p] : TraceAliases()) names.push_back(n);
  names.push_back(kSyntheticTrace);
  for (const std::string& n : PrefixWorkloadNames()) names.push_back(n);
  return names;
}

Result<std::string> ResolveTracePath(const std::string& ref, const std::string& shared_dir) {
  if (ref == kSyntheticTrace || IsPrefixWorkloadSpec(ref)) return ref;
  std::error_code ec;
  for (const auto& [name, rel] : TraceAliases()) {
    if (ref != name) continue;
    if (shared_dir.empty())
      return Status::NotFound("trace '" + ref + "' lives in the shared data folder, which was not found (put " +
                              "it at ../shared beside the project or set CACHEOPT_SHARED); '" +
                              std::string(kSyntheticTrace) + "' needs no data");
    fs::path p = fs::path(shared_dir) / "data" / rel;
    if (!fs::is_regular_file(p, ec)) return Status::NotFound("trace '" + ref + "': " + p.string() + " not found");
    return p.string();
  }
  std::vector<std::string> looked;
  fs::path given(ref);
  if (given.is_absolute()) {
    if (fs::is_regular_file(given, ec)) return given.string();
    looked.push_back(given.string());
  } else {
    if (!shared_dir.empty()) {
      fs::path p = fs::path(shared_dir) / "data" / given;
      if (fs::is_regular_file(p, ec)) return p.string();
      looked.push_back(p.string());
    }
    if (fs::is_regular_file(given, ec)) return given.string();
    looked.push_back(fs::absolute(given, ec).string());
  }
  return Status::NotFound("trace '" + ref + "' not found (looked at " + JoinNames(looked) +
                          "); named traces: " + JoinNames(TraceNames()));
}

Result<Trace> LoadResolvedTrace(const std::string& resolved, int64_t synthetic_rows) {
  if (resolved == kSyntheticTrace) return SyntheticTrace(0, synthetic_rows);
  if (IsPrefixWorkloadSpec(resolved)) return PrefixWorkloadTrace(resolved, 0, synthetic_rows);
  return ReadTrace(resolved);
}

}  // namespace cacheopt::experiment
