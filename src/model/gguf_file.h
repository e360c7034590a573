// Reads a GGUF (v2/v3) file's directory: header, metadata key/values and
// tensor infos, without the tensor data. Every length and count is checked
// against the bytes that remain before anything is allocated, and every
// tensor of a supported type has its data checked to lie inside the file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cacheopt/status.h"
#include "model/file_reader.h"
#include "model/gguf_types.h"

namespace cacheopt {

struct GgufTensorInfo {
  std::string name;
  std::vector<uint64_t> dims;  // innermost first: a row-major [out][in] matrix is {in, out}
  uint32_t type = kGgmlF32;
  uint64_t offset = 0;         // from GgufFile::data_offset
  uint64_t n_elements = 0;
};

struct GgufFile {
  uint32_t version = 0;
  uint64_t alignment = kGgufDefaultAlignment;
  uint64_t data_offset = 0;  // absolute; tensor offsets are relative to it
  std::vector<std::pair<std::string, GgufValue>> metadata;  // in file order
  std::vector<GgufTensorInfo> tensors;                      // in file order

  const GgufValue* Find(std::string_view key) const;
  const GgufTensorInfo* FindTensor(std::string_view name) const;

  std::unordered_map<std::string, size_t> key_index;
  std::unordered_map<std::string, size_t> tensor_index;
};

// Parses from the start of `in`. Errors name the file and the part that is
// wrong (e.g. "truncated in metadata value 'llama.block_count'").
Result<GgufFile> ReadGgufDirectory(FileReader& in);

// One tensor's data as fp32 (F16/BF16 converted exactly, quantized types
// dequantized). Types outside model/ggml_blocks.h are an error naming the
// tensor, its type and the supported ones.
Result<std::vector<float>> ReadGgufTensor(FileReader& in, const GgufFile& f, const GgufTensorInfo& t);
// One tensor's stored bytes, for a supported type (same errors).
Result<std::vector<uint8_t>> ReadGgufTensorBytes(FileReader& in, const GgufFile& f, const GgufTensorInfo& t);

}  // namespace cacheopt
