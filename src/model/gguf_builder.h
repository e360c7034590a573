// Assembles and writes a GGUF file: metadata in insertion order, tensor
// infos, then aligned tensor data. WriteGguf uses it for models; tests use it
// to craft malformed files (odd types, wrong shapes, missing keys).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cacheopt/status.h"
#include "model/gguf_types.h"

namespace cacheopt {

class GgufBuilder {
 public:
  struct Tensor {
    std::string name;
    std::vector<uint64_t> dims;  // innermost first
    uint32_t type = kGgmlF32;
    const float* data = nullptr;  // borrowed fp32 source, stored as F16 when type is F16, else as fp32; or
    std::string raw;              // the stored bytes as they are
    uint64_t bytes() const;
  };

  void set_version(uint32_t v) { version_ = v; }
  // Adds `key` or replaces its value in place.
  void Set(const std::string& key, GgufValue v);
  void Remove(const std::string& key);

  // `data` holds the product of dims floats and must outlive Write().
  void AddTensor(std::string name, std::vector<uint64_t> dims, const float* data, bool f16);
  void AddRawTensor(std::string name, std::vector<uint64_t> dims, uint32_t type, std::string raw);
  Tensor* FindTensor(const std::string& name);
  void RemoveTensor(const std::string& name);

  // Alignment comes from general.alignment when set (else 32).
  Status Write(const std::string& path) const;

 private:
  uint32_t version_ = 3;
  std::vector<std::pair<std::string, GgufValue>> metadata_;
  std::vector<Tensor> tensors_;
};

}  // namespace cacheopt
