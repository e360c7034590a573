#include "real_sweep/prometheus_sample.h"

#include <cstdlib>
#include <sstream>

namespace cacheopt::realexp {

Result<std::map<std::string, double>> ParsePrometheusText(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    // The series ends at the closing brace when there are labels (label
    // values may hold spaces), else at the first space.
    size_t end = line.find('{');
    end = end == std::string::npos ? line.find(' ') : line.find("} ", end);
    if (end == std::string::npos) return Status::InvalidArgument("metrics line " + std::to_string(n) + ": no value");
    if (line[end] == '}') ++end;
    const std::string series = line.substr(0, end);
    const std::string rest = line.substr(end);
    char* stop = nullptr;
    const double v = std::strtod(rest.c_str(), &stop);
    if (stop == rest.c_str()) return Status::InvalidArgument("metrics line " + std::to_string(n) + ": bad value");
    out[series] = v;
  }
  return out;
}

double SumMetric(const std::map<std::string, double>& samples, const std::string& name, const std::string& label) {
  double sum = 0;
  for (auto it = samples.lower_bound(name); it != samples.end(); ++it) {
    const std::string& s = it->first;
    if (s.compare(0, name.size(), name) != 0) break;
    if (s.size() != name.size() && s[name.size()] != '{') continue;
    if (!label.empty()) {
      // A whole label: preceded by '{' or ',' and followed by ',' or '}'.
      const size_t at = s.find(label, name.size());
      if (at == std::string::npos || (s[at - 1] != '{' && s[at - 1] != ',') ||
          (s[at + label.size()] != ',' && s[at + label.size()] != '}'))
        continue;
    }
    sum += it->second;
  }
  return sum;
}

}  // namespace cacheopt::realexp
