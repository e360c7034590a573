// Bounds-checked little-endian reads from a model file. Every read is checked
// against the file's size first, so a corrupt length or count becomes a
// "truncated in <what>" error instead of a huge allocation or a short read.
#pragma once

#include <bit>
#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>

#include "cacheopt/status.h"

namespace cacheopt {

static_assert(std::endian::native == std::endian::little,
              "model files are little-endian; reads copy bytes as they are");

class FileReader {
 public:
  // NotFound when the path is not a regular file, IoError when it cannot be opened.
  static Result<FileReader> Open(const std::string& path);

  const std::string& path() const { return path_; }
  uint64_t size() const { return size_; }
  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return size_ - pos_; }

  // Reads n bytes; fails with Truncated(n, what) when fewer remain.
  Status Read(void* dst, uint64_t n, std::string_view what);
  template <typename T>
  Status ReadValue(T* out, std::string_view what) {
    return Read(out, sizeof(T), what);
  }
  Status Skip(uint64_t n, std::string_view what);
  Status Seek(uint64_t offset, std::string_view what);

  // "<path>: truncated in <what>: need N bytes, file has M", N = pos + n.
  Status Truncated(uint64_t n, std::string_view what) const;
  // InvalidArgument("<path>: <message>").
  Status Corrupt(std::string_view message) const;

 private:
  FileReader(std::string path, std::ifstream in, uint64_t size)
      : path_(std::move(path)), in_(std::move(in)), size_(size) {}

  std::string path_;
  std::ifstream in_;
  uint64_t size_ = 0;
  uint64_t pos_ = 0;
  uint64_t stream_pos_ = 0;  // where in_ stands, to skip needless seeks
};

// Reads the first n bytes (fewer if the file is shorter); "" when unreadable.
std::string ReadFilePrefix(const std::string& path, size_t n);

}  // namespace cacheopt
