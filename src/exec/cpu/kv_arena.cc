#include "exec/cpu/kv_arena.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <new>

#include "model/half.h"

namespace cacheopt {
namespace {

uint8_t* ZeroedBytes(int64_t n) {
  if (n == 0) return nullptr;
  void* p = std::calloc(static_cast<size_t>(n), 1);
  if (p == nullptr) throw std::bad_alloc();
  return static_cast<uint8_t*>(p);
}

}  // namespace

const char* KvDtypeName(KvDtype d) {
  switch (d) {
    case KvDtype::kF16: return "f16";
    case KvDtype::kQ8: return "q8";
    default: return "f32";
  }
}

std::optional<KvDtype> KvDtypeFromName(const std::string& name) {
  for (KvDtype d : {KvDtype::kF32, KvDtype::kF16, KvDtype::kQ8})
    if (name == KvDtypeName(d)) return d;
  return std::nullopt;
}

int64_t KvRowBytes(KvDtype d, int32_t head_size) {
  switch (d) {
    case KvDtype::kF16: return 2 * static_cast<int64_t>(head_size);
    case KvDtype::kQ8: return static_cast<int64_t>(head_size) + 4;  // int8 values, then the fp32 scale
    default: return 4 * static_cast<int64_t>(head_size);
  }
}

KvArena::KvArena(const ModelConfig& config, int32_t block_size, int32_t device_blocks, int32_t host_blocks,
                 KvDtype dtype)
    : block_size_(block_size),
      n_kv_heads_(config.n_kv_heads),
      head_size_(config.head_size()),
      dtype_(dtype),
      row_bytes_(KvRowBytes(dtype, config.head_size())),
      block_bytes_(BlockBytes(config, block_size, dtype)),
      device_blocks_(device_blocks),
      host_blocks_(host_blocks),
      device_(ZeroedBytes(block_bytes_ * device_blocks)),
      host_(ZeroedBytes(block_bytes_ * host_blocks)) {
  assert(block_size > 0 && device_blocks >= 0 && host_blocks >= 0);
}

int64_t KvArena::BlockBytes(const ModelConfig& config, int32_t block_size, KvDtype dtype) {
  return static_cast<int64_t>(config.n_layers) * 2 * block_size * config.n_kv_heads *
         KvRowBytes(dtype, config.head_size());
}

uint8_t* KvArena::BaseBytes(KvTier t, int32_t block) {
  assert(block >= 0 && block < num_blocks(t));
  uint8_t* base = t == KvTier::kDevice ? device_.get() : host_.get();
  return base + block * block_bytes_;
}

float* KvArena::Base(KvTier t, int32_t block) {
  assert(dtype_ == KvDtype::kF32);
  return reinterpret_cast<float*>(BaseBytes(t, block));
}

void KvArena::StoreRow(KvTier t, int32_t block, int32_t layer, int32_t kv, int32_t kv_head, int32_t slot,
                       const float* src) {
  uint8_t* row = BaseBytes(t, block) + RowIndex(layer, kv, kv_head, slot) * row_bytes_;
  const int32_t hs = head_size_;
  switch (dtype_) {
    case KvDtype::kF32: std::memcpy(row, src, sizeof(float) * hs); break;
    case KvDtype::kF16: {
      auto* h = reinterpret_cast<uint16_t*>(row);
      for (int32_t i = 0; i < hs; ++i) h[i] = FloatToHalf(src[i]);
      break;
    }
    case KvDtype::kQ8: {
      float amax = 0;
      for (int32_t i = 0; i < hs; ++i) amax = std::max(amax, std::fabs(src[i]));
      const float d = amax / 127.0f, id = amax > 0 ? 127.0f / amax : 0.0f;
      auto* q = reinterpret_cast<int8_t*>(row);
      for (int32_t i = 0; i < hs; ++i) q[i] = static_cast<int8_t>(std::clamp(std::nearbyint(src[i] * id), -127.0f, 127.0f));
      std::memcpy(row + hs, &d, 4);
      break;
    }
  }
}

void KvArena::LoadRows(KvTier t, int32_t block, int32_t layer, int32_t kv, int32_t kv_head, int32_t slots,
                       float* dst) const {
  const uint8_t* row =
      const_cast<KvArena*>(this)->BaseBytes(t, block) + RowIndex(layer, kv, kv_head, 0) * row_bytes_;
  const int32_t hs = head_size_;
  for (int32_t r = 0; r < slots; ++r, row += row_bytes_, dst += hs) {
    switch (dtype_) {
      case KvDtype::kF32: std::memcpy(dst, row, sizeof(float) * hs); break;
      case KvDtype::kF16: {
        const auto* h = reinterpret_cast<const uint16_t*>(row);
        for (int32_t i = 0; i < hs; ++i) dst[i] = HalfToFloat(h[i]);
        break;
      }
      case KvDtype::kQ8: {
        float d;
        std::memcpy(&d, row + hs, 4);
        const auto* q = reinterpret_cast<const int8_t*>(row);
        for (int32_t i = 0; i < hs; ++i) dst[i] = q[i] * d;
        break;
      }
    }
  }
}

void KvArena::CopyBlock(KvTier from, int32_t src, KvTier to, int32_t dst) {
  if (from == to && src == dst) return;
  std::memcpy(BaseBytes(to, dst), BaseBytes(from, src), static_cast<size_t>(block_bytes_));
  ++blocks_copied_;
}

}  // namespace cacheopt
