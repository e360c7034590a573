#include "calibration/cpu_cost_profile.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace cacheopt {
namespace {

using json = nlohmann::json;

// Reads one required field with its type and range checked; errors name the
// file and the field's path.
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  const json* Field(const json& obj, const std::string& where, const char* key) {
    if (!status_.ok()) return nullptr;
    auto it = obj.find(key);
    if (it == obj.end()) {
      Fail(where + key + " is missing");
      return nullptr;
    }
    return &*it;
  }
  double Number(const json& obj, const std::string& where, const char* key, double lo, double hi) {
    const json* v = Field(obj, where, key);
    if (v == nullptr) return 0;
    if (!v->is_number()) return Fail(where + key + " must be a number"), 0;
    const double d = v->get<double>();
    if (!std::isfinite(d) || d < lo || d > hi) {
      std::ostringstream m;
      m << where << key << " = " << d << " is outside [" << lo << ", " << hi << "]";
      return Fail(m.str()), 0;
    }
    return d;
  }
  int64_t Int(const json& obj, const std::string& where, const char* key, int64_t lo, int64_t hi) {
    const json* v = Field(obj, where, key);
    if (v == nullptr) return 0;
    if (!v->is_number_integer()) return Fail(where + key + " must be an integer"), 0;
    const int64_t i = v->get<int64_t>();
    if (i < lo || i > hi)
      return Fail(where + key + " = " + std::to_string(i) + " is outside [" + std::to_string(lo) + ", " +
                  std::to_string(hi) + "]"),
             0;
    return i;
  }
  std::string String(const json& obj, const std::string& where, const char* key) {
    const json* v = Field(obj, where, key);
    if (v == nullptr) return "";
    if (!v->is_string()) return Fail(where + key + " must be a string"), "";
    return v->get<std::string>();
  }
  const json* Array(const json& obj, const std::string& where, const char* key) {
    const json* v = Field(obj, where, key);
    if (v != nullptr && !v->is_array()) return Fail(where + key + " must be an array"), nullptr;
    return v;
  }
  const json* Object(const json& obj, const std::string& where, const char* key) {
    const json* v = Field(obj, where, key);
    if (v != nullptr && !v->is_object()) return Fail(where + key + " must be an object"), nullptr;
    return v;
  }
  void Fail(const std::string& what) {
    if (status_.ok()) status_ = Status::InvalidArgument(source_ + ": " + what);
  }
  const Status& status() const { return status_; }

 private:
  std::string source_;
  Status status_;
};

constexpr int64_t kMaxDim = int64_t{1} << 20;
constexpr const char* kCoeffNames[CpuCostModel::kFeatures] = {"step_s", "per_token_s", "per_attention_pair_s",
                                                              "per_sequence_s", "per_kv_token_read_s"};

}  // namespace

Status WriteCpuCostProfile(const CpuCostProfile& p, const std::string& path) {
  json j;
  j["format"] = kCpuCostProfileFormat;
  j["version"] = kCpuCostProfileVersion;
  j["measured_on"] = {{"machine", p.machine}, {"threads", p.threads}};
  j["model"] = {{"name", p.model_name},     {"path", p.model_path},         {"n_layers", p.n_layers},
                {"dim", p.dim},             {"n_heads", p.n_heads},         {"n_kv_heads", p.n_kv_heads},
                {"hidden_dim", p.hidden_dim}, {"vocab_size", p.vocab_size}, {"context", p.context},
                {"kv_bytes_per_token", p.kv_bytes_per_token}};
  j["block_size"] = p.block_size;
  json fit = json::object();
  for (int i = 0; i < CpuCostModel::kFeatures; ++i) fit[kCoeffNames[i]] = p.coeffs[i];
  fit["copy_bytes_per_s"] = p.copy_bytes_per_s;
  j["fit"] = fit;
  json steps = json::array();
  for (const CpuProfileStep& s : p.steps) {
    json batch = json::array();
    for (const SeqWork& w : s.seqs) batch.push_back({w.num_tokens, w.context_before});
    steps.push_back({{"batch", batch}, {"seconds", s.seconds}});
  }
  j["steps"] = steps;
  json copies = json::array();
  for (const CpuProfileCopy& c : p.copies)
    copies.push_back({{"blocks", c.blocks}, {"to_host", c.to_host}, {"seconds", c.seconds}});
  j["copies"] = copies;
  std::ofstream out(path);
  if (!out) return Status::IoError("cannot write the profile to " + path);
  out << j.dump(1) << "\n";
  if (!out) return Status::IoError("writing " + path + " failed");
  return Status::Ok();
}

Result<CpuCostProfile> ParseCpuCostProfile(const std::string& text, const std::string& source) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return Status::InvalidArgument(source + ": not valid JSON");
  if (!j.is_object()) return Status::InvalidArgument(source + ": a cost profile is a JSON object");
  Reader r(source);
  CpuCostProfile p;
  const std::string format = r.String(j, "", "format");
  if (r.status().ok() && format != kCpuCostProfileFormat)
    r.Fail("format is \"" + format + "\", expected \"" + kCpuCostProfileFormat + "\" (write one with cacheopt profile)");
  const int64_t version = r.Int(j, "", "version", 1, 1000);
  if (r.status().ok() && version != kCpuCostProfileVersion)
    r.Fail("version " + std::to_string(version) + " is not supported (this build reads " +
           std::to_string(kCpuCostProfileVersion) + ")");
  if (const json* m = r.Object(j, "", "measured_on")) {
    p.machine = r.String(*m, "measured_on.", "machine");
    p.threads = static_cast<int32_t>(r.Int(*m, "measured_on.", "threads", 1, 4096));
  }
  if (const json* m = r.Object(j, "", "model")) {
    const std::string w = "model.";
    p.model_name = r.String(*m, w, "name");
    p.model_path = r.String(*m, w, "path");
    p.n_layers = static_cast<int32_t>(r.Int(*m, w, "n_layers", 1, kMaxDim));
    p.dim = static_cast<int32_t>(r.Int(*m, w, "dim", 1, kMaxDim));
    p.n_heads = static_cast<int32_t>(r.Int(*m, w, "n_heads", 1, kMaxDim));
    p.n_kv_heads = static_cast<int32_t>(r.Int(*m, w, "n_kv_heads", 1, kMaxDim));
    p.hidden_dim = static_cast<int32_t>(r.Int(*m, w, "hidden_dim", 1, kMaxDim));
    p.vocab_size = static_cast<int32_t>(r.Int(*m, w, "vocab_size", 1, kMaxDim * 16));
    p.context = static_cast<int32_t>(r.Int(*m, w, "context", 2, kMaxDim * 16));
    p.kv_bytes_per_token = r.Int(*m, w, "kv_bytes_per_token", 1, int64_t{1} << 40);
  }
  p.block_size = static_cast<int32_t>(r.Int(j, "", "block_size", 1, 1024));
  if (const json* f = r.Object(j, "", "fit")) {
    for (int i = 0; i < CpuCostModel::kFeatures; ++i) p.coeffs[i] = r.Number(*f, "fit.", kCoeffNames[i], 0, 1e6);
    p.copy_bytes_per_s = r.Number(*f, "fit.", "copy_bytes_per_s", 1, 1e15);
    if (r.status().ok() && p.coeffs[0] + p.coeffs[1] + p.coeffs[3] <= 0)
      r.Fail("fit predicts zero time for every step");
  }
  if (const json* steps = r.Array(j, "", "steps")) {
    for (size_t i = 0; i < steps->size() && r.status().ok(); ++i) {
      const std::string w = "steps[" + std::to_string(i) + "].";
      const json& s = (*steps)[i];
      if (!s.is_object()) {
        r.Fail(w.substr(0, w.size() - 1) + " must be an object");
        break;
      }
      CpuProfileStep step;
      if (const json* b = r.Array(s, w, "batch")) {
        for (const json& e : *b) {
          if (!e.is_array() || e.size() != 2 || !e[0].is_number_integer() || !e[1].is_number_integer() ||
              e[0].get<int64_t>() < 1 || e[1].get<int64_t>() < 0 || e[0].get<int64_t>() > kMaxDim * 16 ||
              e[1].get<int64_t>() > kMaxDim * 16) {
            r.Fail(w + "batch entries must be [new tokens >= 1, context before >= 0]");
            break;
          }
          step.seqs.push_back({static_cast<int32_t>(e[0].get<int64_t>()), static_cast<int32_t>(e[1].get<int64_t>())});
        }
        if (r.status().ok() && step.seqs.empty()) r.Fail(w + "batch is empty");
      }
      step.seconds = r.Number(s, w, "seconds", 1e-12, 1e6);
      p.steps.push_back(std::move(step));
    }
  }
  if (const json* copies = r.Array(j, "", "copies")) {
    for (size_t i = 0; i < copies->size() && r.status().ok(); ++i) {
      const std::string w = "copies[" + std::to_string(i) + "].";
      const json& c = (*copies)[i];
      if (!c.is_object()) {
        r.Fail(w.substr(0, w.size() - 1) + " must be an object");
        break;
      }
      CpuProfileCopy copy;
      copy.blocks = static_cast<int32_t>(r.Int(c, w, "blocks", 1, INT32_MAX));
      const json* to_host = r.Field(c, w, "to_host");
      if (to_host != nullptr && !to_host->is_boolean()) r.Fail(w + "to_host must be true or false");
      if (to_host != nullptr && to_host->is_boolean()) copy.to_host = to_host->get<bool>();
      copy.seconds = r.Number(c, w, "seconds", 1e-12, 1e6);
      p.copies.push_back(copy);
    }
  }
  if (!r.status().ok()) return r.status();
  return p;
}

Result<CpuCostProfile> ReadCpuCostProfile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cost profile " + path + " not found (write one with cacheopt profile)");
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseCpuCostProfile(ss.str(), path);
}

std::unique_ptr<CpuCostModel> MakeProfiledCostModel(const CpuCostProfile& p) {
  auto m = std::make_unique<CpuCostModel>(p.kv_bytes_per_token);
  m->SetCoeffs(p.coeffs, p.copy_bytes_per_s);
  return m;
}

}  // namespace cacheopt
