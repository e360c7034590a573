// Whole-file reads for the profile tables, which ship xz-compressed when
// large: a ".xz" path is decompressed in-process with liblzma.
#pragma once

#include <string>

#include "cacheopt/status.h"

namespace cacheopt {

// The file's bytes; a path ending in ".xz" is decompressed. Missing file:
// NotFound; unreadable or corrupt: IoError. Both name the path.
Result<std::string> ReadTextFile(const std::string& path);

// `path` if it exists, else `path` + ".xz" if that exists, else "".
std::string FindPlainOrXz(const std::string& path);

}  // namespace cacheopt
