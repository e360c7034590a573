// A number for a message or a label: `digits` significant digits, as printf's
// %g (and an ostream's default format) writes them: 0.1234, 5.53, 1e+04.
#pragma once

#include <cstdio>
#include <string>

namespace cacheopt {

inline std::string ShortNumber(double x, int digits = 4) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, x);
  return buf;
}

}  // namespace cacheopt
