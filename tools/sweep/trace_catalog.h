// Traces an experiment config may name: short names for the real traces in
// ../shared/data, "synthetic" (works without ../shared), or a file path.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "cacheopt/status.h"
#include "trace/trace.h"

namespace cacheopt::experiment {

// {name, path under <shared>/data}, in display order; "synthetic" is extra.
const std::vector<std::pair<std::string, std::string>>& TraceAliases();
// Every name a config may use instead of a path, "synthetic" included.
std::vector<std::string> TraceNames();

inline constexpr const char* kSyntheticTrace = "synthetic";

// A config's `trace` value -> a file path, or "synthetic". Tried in order: a
// name from TraceAliases (needs `shared_dir`), an absolute path, a path
// relative to <shared_dir>/data, a path relative to the working directory.
// Not found -> NotFound naming every place looked and the valid names.
Result<std::string> ResolveTracePath(const std::string& ref, const std::string& shared_dir);

// Reads a resolved trace. "synthetic" is SyntheticTrace(0, rows): a fixed
// trace, so every seed draws its window from the same rows.
Result<Trace> LoadResolvedTrace(const std::string& resolved, int64_t synthetic_rows);

}  // namespace cacheopt::experiment
