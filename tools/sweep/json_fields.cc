#include "sweep/json_fields.h"

#include <cmath>
#include <cstdio>

#include "cacheopt/util/names.h"

namespace cacheopt::experiment {
namespace {

std::string TypeName(const Json& v) { return v.type_name(); }

Status Bad(const std::string& path, const std::string& what) { return Status::InvalidArgument(path + ": " + what); }

std::string RangeText(double min, bool min_exclusive, double max) {
  std::string lo = ShortNumber(min);
  if (std::isinf(max)) return (min_exclusive ? "> " : ">= ") + lo;
  return std::string("in ") + (min_exclusive ? "(" : "[") + lo + ", " + ShortNumber(max) + "]";
}

Status CheckNumber(const Json& v, const std::string& path, double min, bool min_exclusive, double max,
                   double* out) {
  if (!v.is_number()) return Bad(path, "must be a number, got " + TypeName(v) + " " + v.dump());
  double x = v.get<double>();
  bool ok = std::isfinite(x) && (min_exclusive ? x > min : x >= min) && x <= max;
  if (!ok) return Bad(path, "must be " + RangeText(min, min_exclusive, max) + ", got " + v.dump());
  *out = x;
  return Status::Ok();
}

Status CheckInt(const Json& v, const std::string& path, int64_t min, int64_t max, int64_t* out) {
  if (!v.is_number_integer())
    return Bad(path, "must be an integer, got " + TypeName(v) + " " + v.dump());
  int64_t x = v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)
                  ? INT64_MAX
                  : v.get<int64_t>();
  if (x < min || x > max)
    return Bad(path, "must be in [" + std::to_string(min) + ", " + std::to_string(max) + "], got " + v.dump());
  *out = x;
  return Status::Ok();
}

}  // namespace

std::string JoinPath(const std::string& where, const std::string& key) {
  return where.empty() ? key : where + "." + key;
}

std::string ShortNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

Status CheckObject(const Json& j, const std::string& where, const std::vector<std::string>& allowed) {
  std::string name = where.empty() ? "the config" : where;
  if (!j.is_object()) return Bad(name, "must be an object, got " + TypeName(j));
  for (const auto& [k, v] : j.items()) {
    bool known = false;
    for (const auto& a : allowed) known = known || a == k;
    if (!known) return Bad(name, "unknown key '" + k + "'; allowed: " + JoinNames(allowed));
  }
  return Status::Ok();
}

Status GetString(const Json& j, const std::string& where, const std::string& key, std::string* out,
                 bool required) {
  auto it = j.find(key);
  if (it == j.end()) return required ? Bad(JoinPath(where, key), "is required") : Status::Ok();
  if (!it->is_string()) return Bad(JoinPath(where, key), "must be a string, got " + TypeName(*it));
  *out = it->get<std::string>();
  if (out->empty()) return Bad(JoinPath(where, key), "must not be empty");
  return Status::Ok();
}

Status GetChoice(const Json& j, const std::string& where, const std::string& key,
                 const std::vector<std::string>& allowed, std::string* out) {
  if (!j.contains(key)) return Status::Ok();
  std::string v = *out;
  if (Status s = GetString(j, where, key, &v); !s.ok()) return s;
  for (const auto& a : allowed) {
    if (a == v) {
      *out = v;
      return Status::Ok();
    }
  }
  return Bad(JoinPath(where, key), "unknown value '" + v + "'; allowed: " + JoinNames(allowed));
}

Status GetBool(const Json& j, const std::string& where, const std::string& key, bool* out) {
  auto it = j.find(key);
  if (it == j.end()) return Status::Ok();
  if (!it->is_boolean()) return Bad(JoinPath(where, key), "must be true or false, got " + it->dump());
  *out = it->get<bool>();
  return Status::Ok();
}

Status GetInt(const Json& j, const std::string& where, const std::string& key, int64_t min, int64_t max,
              int64_t* out, bool required) {
  auto it = j.find(key);
  if (it == j.end()) return required ? Bad(JoinPath(where, key), "is required") : Status::Ok();
  return CheckInt(*it, JoinPath(where, key), min, max, out);
}

Status GetNumber(const Json& j, const std::string& where, const std::string& key, double min,
                 bool min_exclusive, double max, double* out) {
  auto it = j.find(key);
  if (it == j.end()) return Status::Ok();
  return CheckNumber(*it, JoinPath(where, key), min, min_exclusive, max, out);
}

Status GetNumberList(const Json& j, const std::string& where, const std::string& key, double min,
                     bool min_exclusive, double max, std::vector<double>* out) {
  auto it = j.find(key);
  if (it == j.end()) return Status::Ok();
  std::string path = JoinPath(where, key);
  if (!it->is_array() || it->empty()) return Bad(path, "must be a non-empty list of numbers");
  std::vector<double> v;
  for (size_t i = 0; i < it->size(); ++i) {
    double x = 0;
    if (Status s = CheckNumber((*it)[i], path + "[" + std::to_string(i) + "]", min, min_exclusive, max, &x);
        !s.ok())
      return s;
    v.push_back(x);
  }
  *out = std::move(v);
  return Status::Ok();
}

Status GetIntList(const Json& j, const std::string& where, const std::string& key, int64_t min, int64_t max,
                  std::vector<int64_t>* out) {
  auto it = j.find(key);
  if (it == j.end()) return Status::Ok();
  std::string path = JoinPath(where, key);
  if (!it->is_array() || it->empty()) return Bad(path, "must be a non-empty list of integers");
  std::vector<int64_t> v;
  for (size_t i = 0; i < it->size(); ++i) {
    int64_t x = 0;
    if (Status s = CheckInt((*it)[i], path + "[" + std::to_string(i) + "]", min, max, &x); !s.ok()) return s;
    v.push_back(x);
  }
  *out = std::move(v);
  return Status::Ok();
}

Status GetStringList(const Json& j, const std::string& where, const std::string& key,
                     std::vector<std::string>* out) {
  auto it = j.find(key);
  if (it == j.end()) return Status::Ok();
  std::string path = JoinPath(where, key);
  if (!it->is_array() || it->empty()) return Bad(path, "must be a non-empty list of strings");
  std::vector<std::string> v;
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& e = (*it)[i];
    if (!e.is_string() || e.get<std::string>().empty())
      return Bad(path + "[" + std::to_string(i) + "]", "must be a non-empty string, got " + e.dump());
    v.push_back(e.get<std::string>());
  }
  *out = std::move(v);
  return Status::Ok();
}

Result<std::string> KnobValueString(const Json& v, const std::string& where) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() || v.is_boolean()) return v.dump();
  if (v.is_array()) {
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) {
      const Json& e = v[i];
      if (!(e.is_string() || e.is_number() || e.is_boolean()))
        return Bad(where + "[" + std::to_string(i) + "]", "must be a string, number or bool, got " + TypeName(e));
      out += (i ? "," : "") + (e.is_string() ? e.get<std::string>() : e.dump());
    }
    return out;
  }
  return Bad(where, "a knob value must be a string, number, bool or a list of them, got " + TypeName(v));
}

Status GetKnobs(const Json& j, const std::string& where, const std::string& key,
                std::map<std::string, std::string>* out) {
  auto it = j.find(key);
  if (it == j.end()) return Status::Ok();
  std::string path = JoinPath(where, key);
  if (!it->is_object()) return Bad(path, "must be an object of knob: value, got " + TypeName(*it));
  for (const auto& [k, v] : it->items()) {
    if (k.empty()) return Bad(path, "a knob name must not be empty");
    auto s = KnobValueString(v, JoinPath(path, k));
    if (!s.ok()) return s.status();
    (*out)[k] = *s;
  }
  return Status::Ok();
}

}  // namespace cacheopt::experiment
