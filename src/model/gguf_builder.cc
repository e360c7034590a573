#include "model/gguf_builder.h"

#include <algorithm>
#include <fstream>

#include "model/half.h"

namespace cacheopt {
namespace {

class Out {
 public:
  explicit Out(std::ofstream& f) : f_(f) {}
  template <typename T>
  void Pod(T v) { Bytes(&v, sizeof(v)); }
  void Bytes(const void* p, uint64_t n) {
    f_.write(static_cast<const char*>(p), static_cast<std::streamsize>(n));
    pos_ += n;
  }
  void String(const std::string& s) {
    Pod<uint64_t>(s.size());
    Bytes(s.data(), s.size());
  }
  void PadTo(uint64_t alignment) {
    static const char kZeros[256] = {};
    while (pos_ % alignment != 0) Bytes(kZeros, std::min<uint64_t>(alignment - pos_ % alignment, sizeof(kZeros)));
  }

 private:
  std::ofstream& f_;
  uint64_t pos_ = 0;
};

void WriteValue(Out& out, const GgufValue& v) {
  using T = GgufValueType;
  switch (v.type) {
    case T::kUint8: out.Pod(static_cast<uint8_t>(v.u)); break;
    case T::kInt8: out.Pod(static_cast<int8_t>(v.i)); break;
    case T::kUint16: out.Pod(static_cast<uint16_t>(v.u)); break;
    case T::kInt16: out.Pod(static_cast<int16_t>(v.i)); break;
    case T::kUint32: out.Pod(static_cast<uint32_t>(v.u)); break;
    case T::kInt32: out.Pod(static_cast<int32_t>(v.i)); break;
    case T::kFloat32: out.Pod(static_cast<float>(v.f)); break;
    case T::kBool: out.Pod(static_cast<uint8_t>(v.u ? 1 : 0)); break;
    case T::kString: out.String(v.str); break;
    case T::kArray:
      out.Pod(static_cast<uint32_t>(v.elem_type));
      out.Pod<uint64_t>(v.items.size());
      for (const GgufValue& item : v.items) WriteValue(out, item);
      break;
    case T::kUint64: out.Pod(v.u); break;
    case T::kInt64: out.Pod(v.i); break;
    case T::kFloat64: out.Pod(v.f); break;
  }
}

uint64_t Elements(const std::vector<uint64_t>& dims) {
  uint64_t n = 1;
  for (uint64_t d : dims) n *= d;
  return n;
}

void WriteTensorData(Out& out, const GgufBuilder::Tensor& t) {
  if (t.data == nullptr) {
    out.Bytes(t.raw.data(), t.raw.size());
    return;
  }
  const uint64_t n = Elements(t.dims);
  if (t.type != kGgmlF16) {  // F32, or a test's bogus type over fp32 bytes
    out.Bytes(t.data, n * 4);
    return;
  }
  // Convert in chunks so a large tensor needs no second full-size buffer.
  std::vector<uint16_t> chunk;
  for (uint64_t i = 0; i < n; i += 1 << 16) {
    const uint64_t end = std::min<uint64_t>(n, i + (1 << 16));
    chunk.resize(end - i);
    for (uint64_t j = i; j < end; ++j) chunk[j - i] = FloatToHalf(t.data[j]);
    out.Bytes(chunk.data(), chunk.size() * 2);
  }
}

}  // namespace

uint64_t GgufBuilder::Tensor::bytes() const {
  if (data == nullptr) return raw.size();
  return Elements(dims) * (type == kGgmlF16 ? 2 : 4);
}

void GgufBuilder::Set(const std::string& key, GgufValue v) {
  for (auto& [k, old] : metadata_) {
    if (k == key) {
      old = std::move(v);
      return;
    }
  }
  metadata_.emplace_back(key, std::move(v));
}

void GgufBuilder::Remove(const std::string& key) {
  std::erase_if(metadata_, [&](const auto& kv) { return kv.first == key; });
}

void GgufBuilder::AddTensor(std::string name, std::vector<uint64_t> dims, const float* data, bool f16) {
  tensors_.push_back({std::move(name), std::move(dims), f16 ? kGgmlF16 : kGgmlF32, data, {}});
}

void GgufBuilder::AddRawTensor(std::string name, std::vector<uint64_t> dims, uint32_t type, std::string raw) {
  tensors_.push_back({std::move(name), std::move(dims), type, nullptr, std::move(raw)});
}

GgufBuilder::Tensor* GgufBuilder::FindTensor(const std::string& name) {
  for (Tensor& t : tensors_) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

void GgufBuilder::RemoveTensor(const std::string& name) {
  std::erase_if(tensors_, [&](const Tensor& t) { return t.name == name; });
}

Status GgufBuilder::Write(const std::string& path) const {
  uint64_t alignment = kGgufDefaultAlignment;
  for (const auto& [k, v] : metadata_) {
    if (k == "general.alignment" && v.AsInt() && *v.AsInt() > 0) alignment = static_cast<uint64_t>(*v.AsInt());
  }
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return Status::IoError(path + ": cannot open for writing");
  Out out(f);
  out.Bytes(kGgufMagic, 4);
  out.Pod(version_);
  out.Pod<uint64_t>(tensors_.size());
  out.Pod<uint64_t>(metadata_.size());
  for (const auto& [k, v] : metadata_) {
    out.String(k);
    out.Pod(static_cast<uint32_t>(v.type));
    WriteValue(out, v);
  }
  uint64_t offset = 0;
  for (const Tensor& t : tensors_) {
    out.String(t.name);
    out.Pod<uint32_t>(t.dims.size());
    for (uint64_t d : t.dims) out.Pod(d);
    out.Pod(t.type);
    out.Pod(offset);
    offset = (offset + t.bytes() + alignment - 1) / alignment * alignment;
  }
  out.PadTo(alignment);
  for (const Tensor& t : tensors_) {
    WriteTensorData(out, t);
    out.PadTo(alignment);
  }
  f.close();
  if (!f) return Status::IoError(path + ": write failed");
  return Status::Ok();
}

}  // namespace cacheopt
