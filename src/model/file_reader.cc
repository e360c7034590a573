#include "model/file_reader.h"

#include <filesystem>

namespace cacheopt {

Result<FileReader> FileReader::Open(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return Status::NotFound(path + ": no such file");
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) return Status::IoError(path + ": cannot read its size: " + ec.message());
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError(path + ": cannot open");
  return FileReader(path, std::move(in), size);
}

Status FileReader::Read(void* dst, uint64_t n, std::string_view what) {
  if (n > remaining()) return Truncated(n, what);
  if (n == 0) return Status::Ok();
  // Seeking discards the stream's buffer, so only seek after a Skip/Seek.
  if (stream_pos_ != pos_) in_.seekg(static_cast<std::streamoff>(pos_));
  stream_pos_ = UINT64_MAX;  // unknown until the read succeeds
  in_.read(static_cast<char*>(dst), static_cast<std::streamsize>(n));
  if (!in_ || static_cast<uint64_t>(in_.gcount()) != n) {
    in_.clear();
    return Status::IoError(path_ + ": read of " + std::to_string(n) + " bytes at offset " +
                           std::to_string(pos_) + " failed (" + std::string(what) + ")");
  }
  pos_ += n;
  stream_pos_ = pos_;
  return Status::Ok();
}

Status FileReader::Skip(uint64_t n, std::string_view what) {
  if (n > remaining()) return Truncated(n, what);
  pos_ += n;
  return Status::Ok();
}

Status FileReader::Seek(uint64_t offset, std::string_view what) {
  if (offset > size_) return Corrupt("offset " + std::to_string(offset) + " of " + std::string(what) +
                                     " is past the end of the file (" + std::to_string(size_) + " bytes)");
  pos_ = offset;
  return Status::Ok();
}

Status FileReader::Truncated(uint64_t n, std::string_view what) const {
  // pos_ + n may exceed 2^64 for absurd lengths; report it as such.
  const std::string need = n > UINT64_MAX - pos_ ? "more than 2^64" : std::to_string(pos_ + n);
  return Corrupt("truncated in " + std::string(what) + ": need " + need + " bytes, file has " +
                 std::to_string(size_));
}

Status FileReader::Corrupt(std::string_view message) const {
  return Status::InvalidArgument(path_ + ": " + std::string(message));
}

std::string ReadFilePrefix(const std::string& path, size_t n) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::string bytes(n, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(n));
  bytes.resize(static_cast<size_t>(in.gcount()));
  return bytes;
}

}  // namespace cacheopt
