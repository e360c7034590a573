// Helpers shared by this folder's tests: the shared data folder, and scratch
// files under the test's temporary directory.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

namespace cacheopt::testing {

// ../shared/data when present, else "".
inline std::string SharedDataDir() {
  const std::string dir = std::string(CACHEOPT_SHARED_DIR) + "/data";
  std::error_code ec;
  return std::filesystem::is_directory(dir + "/vidur_profiling", ec) ? dir : "";
}

// A fresh directory for one test.
inline std::string ScratchDir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("cacheopt_profile_" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

inline void WriteFile(const std::string& path, const std::string& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

}  // namespace cacheopt::testing
