// Named numeric knobs given as "key=value,key=value" (a router's or a
// generated workload's): each key must be one of the knobs, each value a
// finite number in the knob's range. One parser for every such list, so
// they all answer bad input alike.
#pragma once

#include <cmath>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cacheopt/status.h"
#include "cacheopt/util/names.h"
#include "cacheopt/util/short_number.h"

namespace cacheopt {

// A knob's value (its default until set) and its inclusive range.
struct Knob {
  double value, lo, hi;
};
using Knobs = std::map<std::string, Knob, std::less<>>;

// Sets the knobs `list` names. `owner` starts every error ("router leastconn").
inline Status ParseKnobList(std::string_view owner, std::string_view list, Knobs* knobs) {
  const std::string who(owner);
  std::vector<std::string> valid;
  for (const auto& [k, v] : *knobs) valid.push_back(k);
  size_t pos = 0;
  while (pos < list.size()) {
    size_t end = list.find(',', pos);
    if (end == std::string_view::npos) end = list.size();
    const std::string_view item = list.substr(pos, end - pos);
    pos = end + 1;
    const size_t eq = item.find('=');
    const std::string key(item.substr(0, eq));
    auto it = knobs->find(key);
    if (it == knobs->end()) {
      if (valid.empty()) return Status::InvalidArgument(who + " takes no knobs, got '" + key + "'");
      return UnknownName(who + " knob", key, valid);
    }
    if (eq == std::string_view::npos) return Status::InvalidArgument(who + ": knob " + key + " needs =VALUE");
    const std::string text(item.substr(eq + 1));
    char* stop = nullptr;
    const double v = std::strtod(text.c_str(), &stop);
    Knob& k = it->second;
    if (text.empty() || *stop != '\0' || !std::isfinite(v) || v < k.lo || v > k.hi)
      return Status::InvalidArgument(who + ": knob " + key + " must be a number in [" + ShortNumber(k.lo) + ", " +
                                     ShortNumber(k.hi) + "], got '" + text + "'");
    k.value = v;
  }
  return Status::Ok();
}

}  // namespace cacheopt
