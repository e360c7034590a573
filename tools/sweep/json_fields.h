// Strict reading of JSON config objects: every key must be known, every value
// of the right type and within its range. Errors name the offending key by
// its path (e.g. "setups[2].arrival_cv") and list what is allowed.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cacheopt/status.h"

namespace cacheopt::experiment {

using Json = nlohmann::ordered_json;

// "where.key", or "key" when `where` is empty.
std::string JoinPath(const std::string& where, const std::string& key);

// `j` must be an object whose keys are all in `allowed`.
// e.g. "setups[0]: unknown key 'arival'; allowed: model, gpu, tp, ...".
Status CheckObject(const Json& j, const std::string& where, const std::vector<std::string>& allowed);

// Getters: absent keys leave `*out` unchanged (or fail when `required`).
Status GetString(const Json& j, const std::string& where, const std::string& key, std::string* out,
                 bool required = false);
// The value must be one of `allowed`.
Status GetChoice(const Json& j, const std::string& where, const std::string& key,
                 const std::vector<std::string>& allowed, std::string* out);
Status GetBool(const Json& j, const std::string& where, const std::string& key, bool* out);
// An integer in [min, max].
Status GetInt(const Json& j, const std::string& where, const std::string& key, int64_t min, int64_t max,
              int64_t* out, bool required = false);
// A finite number; > min when `min_exclusive`, else >= min; <= max.
Status GetNumber(const Json& j, const std::string& where, const std::string& key, double min,
                 bool min_exclusive, double max, double* out);
// A non-empty list of such numbers.
Status GetNumberList(const Json& j, const std::string& where, const std::string& key, double min,
                     bool min_exclusive, double max, std::vector<double>* out);
Status GetIntList(const Json& j, const std::string& where, const std::string& key, int64_t min, int64_t max,
                  std::vector<int64_t>* out);
// A non-empty list of strings.
Status GetStringList(const Json& j, const std::string& where, const std::string& key,
                     std::vector<std::string>* out);

// A knob value as the policy will see it: a string as is, a number or bool as
// JSON writes it ("0.95", "512", "true"), a list of those joined by commas
// ("padding,lending"). Anything else is an error at `where`.
Result<std::string> KnobValueString(const Json& v, const std::string& where);
// An object of knobs {name: value}.
Status GetKnobs(const Json& j, const std::string& where, const std::string& key,
                std::map<std::string, std::string>* out);

// A number as a short, exact-enough label ("0.95", "1.25", "512").
std::string ShortNumber(double v);

}  // namespace cacheopt::experiment
