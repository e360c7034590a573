// Where the shared data (traces, GPU profiles, models) lives: $CACHEOPT_SHARED,
// else ../shared from the working directory, else ../shared beside the source
// tree the binary was built from. Empty when none exists: callers then fall
// back to synthetic data and say where the real files go.
#pragma once

#include <string>

namespace cacheopt {

std::string FindSharedDir();
// The default trace (Azure 2023 conversation) under a shared dir, or "".
std::string DefaultTracePath(const std::string& shared_dir);

}  // namespace cacheopt
