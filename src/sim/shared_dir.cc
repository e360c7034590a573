#include "sim/shared_dir.h"

#include <cstdlib>
#include <filesystem>

namespace cacheopt {

namespace fs = std::filesystem;

std::string FindSharedDir() {
  std::error_code ec;
  if (const char* env = std::getenv("CACHEOPT_SHARED"); env != nullptr && *env != '\0') {
    if (fs::is_directory(env, ec)) return env;
  }
  if (fs::is_directory("../shared/data", ec)) return fs::absolute("../shared", ec).string();
#ifdef CACHEOPT_SOURCE_ROOT
  fs::path beside = fs::path(CACHEOPT_SOURCE_ROOT) / ".." / "shared";
  if (fs::is_directory(beside / "data", ec)) return fs::weakly_canonical(beside, ec).string();
#endif
  return "";
}

std::string DefaultTracePath(const std::string& shared_dir) {
  if (shared_dir.empty()) return "";
  fs::path p = fs::path(shared_dir) / "data" / "azure_llm_2023" / "AzureLLMInferenceTrace_conv.csv";
  std::error_code ec;
  return fs::exists(p, ec) ? p.string() : "";
}

}  // namespace cacheopt
