#include "exec/cpu/kv_arena.h"

#include <cassert>
#include <cstring>
#include <new>

namespace cacheopt {
namespace {

float* ZeroedFloats(int64_t n) {
  if (n == 0) return nullptr;
  void* p = std::calloc(static_cast<size_t>(n), sizeof(float));
  if (p == nullptr) throw std::bad_alloc();
  return static_cast<float*>(p);
}

}  // namespace

KvArena::KvArena(const ModelConfig& config, int32_t block_size, int32_t device_blocks, int32_t host_blocks)
    : block_size_(block_size),
      n_kv_heads_(config.n_kv_heads),
      head_size_(config.head_size()),
      block_floats_(BlockBytes(config, block_size) / static_cast<int64_t>(sizeof(float))),
      device_blocks_(device_blocks),
      host_blocks_(host_blocks),
      device_(ZeroedFloats(block_floats_ * device_blocks)),
      host_(ZeroedFloats(block_floats_ * host_blocks)) {
  assert(block_size > 0 && device_blocks >= 0 && host_blocks >= 0);
}

int64_t KvArena::BlockBytes(const ModelConfig& config, int32_t block_size) {
  return static_cast<int64_t>(config.n_layers) * 2 * block_size * config.kv_dim() *
         static_cast<int64_t>(sizeof(float));
}

float* KvArena::Base(KvTier t, int32_t block) {
  assert(block >= 0 && block < num_blocks(t));
  float* base = t == KvTier::kDevice ? device_.get() : host_.get();
  return base + block * block_floats_;
}

void KvArena::CopyBlock(KvTier from, int32_t src, KvTier to, int32_t dst) {
  if (from == to && src == dst) return;
  std::memcpy(Base(to, dst), Base(from, src), static_cast<size_t>(block_floats_) * sizeof(float));
  ++blocks_copied_;
}

}  // namespace cacheopt
