#include "model/gguf_file.h"

#include <cstring>

#include "model/ggml_blocks.h"
#include "model/half.h"

namespace cacheopt {
namespace {

constexpr int kMaxArrayNesting = 4;
constexpr uint32_t kMaxTensorDims = 4;  // ggml's GGML_MAX_DIMS
constexpr uint64_t kMaxAlignment = 1 << 24;
// Each parsed item costs ~100 bytes in memory, so a corrupt count of bytes
// could otherwise ask for 100x the file; real vocabularies stay under 1M.
constexpr uint64_t kMaxArrayItems = 1 << 22;

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

Status ReadString(FileReader& in, std::string* out, const std::string& what) {
  uint64_t len = 0;
  if (Status s = in.ReadValue(&len, what); !s.ok()) return s;
  if (len > in.remaining()) return in.Truncated(len, what);  // before allocating
  out->resize(len);
  return in.Read(out->data(), len, what);
}

// Fails unless `count` items of at least `min_bytes` each fit in what
// remains: a cut-off file or an absurd count, caught before allocating.
Status CheckCount(const FileReader& in, uint64_t count, uint64_t min_bytes, const std::string& what,
                  const std::string& items) {
  if (min_bytes == 0 || count <= in.remaining() / min_bytes) return Status::Ok();
  const bool overflow = count > (UINT64_MAX - in.pos()) / min_bytes;
  return in.Corrupt("truncated in " + what + ": " + std::to_string(count) + " " + items + " need at least " +
                    (overflow ? std::string("2^64") : std::to_string(in.pos() + count * min_bytes)) +
                    " bytes, file has " + std::to_string(in.size()));
}

// Reads a narrower scalar and widens it into the value's field.
template <typename Narrow, typename Wide>
Status ReadAs(FileReader& in, Wide* out, const std::string& what) {
  Narrow x{};
  Status s = in.ReadValue(&x, what);
  if (s.ok()) *out = static_cast<Wide>(x);
  return s;
}

Status ReadValue(FileReader& in, GgufValueType type, GgufValue* v, const std::string& what, int depth) {
  using T = GgufValueType;
  v->type = type;
  switch (type) {
    case T::kUint8: return ReadAs<uint8_t>(in, &v->u, what);
    case T::kUint16: return ReadAs<uint16_t>(in, &v->u, what);
    case T::kUint32: return ReadAs<uint32_t>(in, &v->u, what);
    case T::kUint64: return in.ReadValue(&v->u, what);
    case T::kInt8: return ReadAs<int8_t>(in, &v->i, what);
    case T::kInt16: return ReadAs<int16_t>(in, &v->i, what);
    case T::kInt32: return ReadAs<int32_t>(in, &v->i, what);
    case T::kInt64: return in.ReadValue(&v->i, what);
    case T::kFloat32: return ReadAs<float>(in, &v->f, what);
    case T::kFloat64: return in.ReadValue(&v->f, what);
    case T::kBool: {
      uint8_t x;
      if (Status s = in.ReadValue(&x, what); !s.ok()) return s;
      if (x > 1) return in.Corrupt(what + " is a bool with value " + std::to_string(x));
      v->u = x;
      return Status::Ok();
    }
    case T::kString: return ReadString(in, &v->str, what);
    case T::kArray: {
      if (depth >= kMaxArrayNesting) return in.Corrupt(what + " nests arrays too deeply");
      uint32_t elem = 0;
      uint64_t count = 0;
      if (Status s = in.ReadValue(&elem, what); !s.ok()) return s;
      if (elem >= kGgufValueTypeCount) return in.Corrupt(what + " is an array of unknown type " + std::to_string(elem));
      if (Status s = in.ReadValue(&count, what); !s.ok()) return s;
      v->elem_type = static_cast<T>(elem);
      // Strings need their 8-byte length, nested arrays a type and a count.
      const uint64_t min_bytes = v->elem_type == T::kString  ? 8
                                 : v->elem_type == T::kArray ? 12
                                                             : GgufScalarSize(v->elem_type);
      if (Status s = CheckCount(in, count, min_bytes, what, "array items"); !s.ok()) return s;
      if (count > kMaxArrayItems)
        return in.Corrupt(what + " array has " + std::to_string(count) + " items; at most " +
                          std::to_string(kMaxArrayItems) + " are supported");
      v->items.resize(count);
      for (GgufValue& item : v->items) {
        if (Status s = ReadValue(in, v->elem_type, &item, what, depth + 1); !s.ok()) return s;
      }
      return Status::Ok();
    }
  }
  return in.Corrupt(what + " has unknown value type " + std::to_string(static_cast<uint32_t>(type)));
}

Status ReadHeader(FileReader& in, GgufFile* f, uint64_t* n_tensors, uint64_t* n_kv) {
  char magic[4];
  if (Status s = in.Read(magic, 4, "header"); !s.ok()) return s;
  if (std::memcmp(magic, kGgufMagic, 4) != 0) return in.Corrupt("not a GGUF file (bad magic)");
  if (Status s = in.ReadValue(&f->version, "header"); !s.ok()) return s;
  if (f->version == 1) return in.Corrupt("GGUF version 1 is not supported (only versions 2 and 3)");
  if (f->version != 2 && f->version != 3) {
    const bool swapped = (f->version & 0xffffu) == 0 && (f->version >> 16) != 0;
    return in.Corrupt("unsupported GGUF version " + std::to_string(f->version) +
                      (swapped ? " (a big-endian file?)" : "") + "; only versions 2 and 3 are supported");
  }
  if (Status s = in.ReadValue(n_tensors, "header"); !s.ok()) return s;
  if (Status s = in.ReadValue(n_kv, "header"); !s.ok()) return s;
  // A key/value is at least a length, a type and a byte.
  return CheckCount(in, *n_kv, 8 + 4 + 1, "metadata", "key/values");
}

Status ReadMetadata(FileReader& in, GgufFile* f, uint64_t n_kv) {
  f->metadata.reserve(n_kv);
  for (uint64_t k = 0; k < n_kv; ++k) {
    std::string key;
    if (Status s = ReadString(in, &key, "metadata key " + std::to_string(k)); !s.ok()) return s;
    const std::string what = "metadata value " + Quote(key);
    uint32_t type = 0;
    if (Status s = in.ReadValue(&type, what); !s.ok()) return s;
    if (type >= kGgufValueTypeCount) return in.Corrupt(what + " has unknown value type " + std::to_string(type));
    GgufValue v;
    if (Status s = ReadValue(in, static_cast<GgufValueType>(type), &v, what, 0); !s.ok()) return s;
    if (!f->key_index.emplace(key, f->metadata.size()).second) return in.Corrupt("duplicate metadata key " + Quote(key));
    f->metadata.emplace_back(std::move(key), std::move(v));
  }
  if (const GgufValue* a = f->Find("general.alignment")) {
    const std::optional<int64_t> align = a->AsInt();
    if (!align || *align <= 0 || static_cast<uint64_t>(*align) > kMaxAlignment || (*align & (*align - 1)) != 0)
      return in.Corrupt("general.alignment must be a power of two up to 2^24");
    f->alignment = static_cast<uint64_t>(*align);
  }
  return Status::Ok();
}

Status ReadTensorInfo(FileReader& in, const GgufFile& f, uint64_t index, GgufTensorInfo* t) {
  const std::string what = "tensor info " + std::to_string(index);
  if (Status s = ReadString(in, &t->name, what); !s.ok()) return s;
  const std::string named = what + " (" + Quote(t->name) + ")";
  uint32_t n_dims = 0;
  if (Status s = in.ReadValue(&n_dims, named); !s.ok()) return s;
  if (n_dims == 0 || n_dims > kMaxTensorDims)
    return in.Corrupt("tensor " + Quote(t->name) + " has " + std::to_string(n_dims) + " dimensions (1..4 allowed)");
  t->dims.resize(n_dims);
  if (Status s = in.Read(t->dims.data(), 8ull * n_dims, named); !s.ok()) return s;
  t->n_elements = 1;
  for (uint64_t d : t->dims) {
    if (__builtin_mul_overflow(t->n_elements, d, &t->n_elements))
      return in.Corrupt("tensor " + Quote(t->name) + " has an absurd shape (element count overflows)");
  }
  if (Status s = in.ReadValue(&t->type, named); !s.ok()) return s;
  if (Status s = in.ReadValue(&t->offset, named); !s.ok()) return s;
  if (t->offset % f.alignment != 0)
    return in.Corrupt("tensor " + Quote(t->name) + " offset " + std::to_string(t->offset) +
                      " is not a multiple of the alignment " + std::to_string(f.alignment));
  return Status::Ok();
}

// The data of every tensor of a supported type (model/ggml_blocks.h) must lie
// inside the file and hold whole blocks per row; other types are only
// rejected if a loader asks for them, so their extent is not computed here.
Status CheckTensorExtent(const FileReader& in, const GgufFile& f, const GgufTensorInfo& t) {
  const auto block = GgmlBlock(t.type);
  if (!block) return Status::Ok();
  const uint64_t row = t.dims.empty() ? 1 : t.dims[0];
  if (row % static_cast<uint64_t>(block->block_elems) != 0)
    return in.Corrupt("tensor " + Quote(t.name) + " (" + GgmlTypeName(t.type) + ") has rows of " +
                      std::to_string(row) + " elements, not a multiple of the type's block of " +
                      std::to_string(block->block_elems));
  uint64_t bytes = 0;
  if (__builtin_mul_overflow(t.n_elements / static_cast<uint64_t>(block->block_elems),
                             static_cast<uint64_t>(block->block_bytes), &bytes))
    return in.Corrupt("tensor " + Quote(t.name) + " has an absurd size");
  const uint64_t avail = in.size() - std::min(in.size(), f.data_offset);
  if (t.offset > avail || bytes > avail - t.offset) {
    uint64_t end = 0;
    const bool overflow = __builtin_add_overflow(f.data_offset + t.offset, bytes, &end);
    return in.Corrupt("truncated in tensor data: tensor " + Quote(t.name) + " (" + GgmlTypeName(t.type) + ", " +
                      std::to_string(bytes) + " bytes) needs " + (overflow ? "more than 2^64" : std::to_string(end)) +
                      " bytes, file has " + std::to_string(in.size()));
  }
  return Status::Ok();
}

}  // namespace

const GgufValue* GgufFile::Find(std::string_view key) const {
  auto it = key_index.find(std::string(key));
  return it == key_index.end() ? nullptr : &metadata[it->second].second;
}

const GgufTensorInfo* GgufFile::FindTensor(std::string_view name) const {
  auto it = tensor_index.find(std::string(name));
  return it == tensor_index.end() ? nullptr : &tensors[it->second];
}

Result<GgufFile> ReadGgufDirectory(FileReader& in) {
  GgufFile f;
  uint64_t n_tensors = 0, n_kv = 0;
  if (Status s = ReadHeader(in, &f, &n_tensors, &n_kv); !s.ok()) return s;
  if (Status s = ReadMetadata(in, &f, n_kv); !s.ok()) return s;
  // A tensor info is at least a name length, n_dims, a type and an offset.
  if (Status s = CheckCount(in, n_tensors, 8 + 4 + 4 + 8, "tensor infos", "tensor infos"); !s.ok()) return s;
  f.tensors.resize(n_tensors);
  for (uint64_t i = 0; i < n_tensors; ++i) {
    if (Status s = ReadTensorInfo(in, f, i, &f.tensors[i]); !s.ok()) return s;
    if (!f.tensor_index.emplace(f.tensors[i].name, i).second)
      return in.Corrupt("duplicate tensor " + Quote(f.tensors[i].name));
  }
  // in.pos() <= size, so rounding up cannot overflow.
  f.data_offset = (in.pos() + f.alignment - 1) / f.alignment * f.alignment;
  for (const GgufTensorInfo& t : f.tensors) {
    if (Status s = CheckTensorExtent(in, f, t); !s.ok()) return s;
  }
  return f;
}

Result<std::vector<uint8_t>> ReadGgufTensorBytes(FileReader& in, const GgufFile& f, const GgufTensorInfo& t) {
  const auto block = GgmlBlock(t.type);
  if (!block)
    return in.Corrupt("tensor " + Quote(t.name) + " has type " + GgmlTypeName(t.type) + "; supported types: " +
                      GgmlSupportedTypeNames());
  // ReadGgufDirectory checked the extent and the whole blocks.
  const uint64_t bytes = t.n_elements / static_cast<uint64_t>(block->block_elems) * block->block_bytes;
  const std::string what = "tensor data of " + Quote(t.name) + " (" + GgmlTypeName(t.type) + ")";
  if (Status s = in.Seek(f.data_offset + t.offset, what); !s.ok()) return s;
  std::vector<uint8_t> out(bytes);
  if (Status s = in.Read(out.data(), bytes, what); !s.ok()) return s;
  return out;
}

Result<std::vector<float>> ReadGgufTensor(FileReader& in, const GgufFile& f, const GgufTensorInfo& t) {
  auto bytes = ReadGgufTensorBytes(in, f, t);
  if (!bytes.ok()) return bytes.status();
  std::vector<float> out(t.n_elements);
  const int64_t row = t.dims.empty() ? 1 : static_cast<int64_t>(t.dims[0]);
  const uint64_t row_bytes = *GgmlRowBytes(t.type, row);
  for (uint64_t r = 0; r * row < t.n_elements; ++r)
    DequantizeRow(t.type, bytes->data() + r * row_bytes, out.data() + r * row, row);
  return out;
}

}  // namespace cacheopt
