#include "server/kv_event_encoding.h"

#include <msgpack.h>

#include <string_view>

namespace cacheopt {
namespace {

void PackStr(msgpack_packer* pk, std::string_view s) {
  msgpack_pack_str(pk, s.size());
  msgpack_pack_str_body(pk, s.data(), s.size());
}

void PackHashes(msgpack_packer* pk, std::span<const BlockHash> hashes) {
  msgpack_pack_array(pk, hashes.size());
  for (BlockHash h : hashes) msgpack_pack_uint64(pk, h);
}

void PackEvent(msgpack_packer* pk, const KvEvent& e) {
  switch (e.kind) {
    case KvEventKind::kBlockStored:
      msgpack_pack_array(pk, 7);
      PackStr(pk, "BlockStored");
      PackHashes(pk, e.block_hashes);
      if (e.parent == kNoParent) {
        msgpack_pack_nil(pk);
      } else {
        msgpack_pack_uint64(pk, e.parent);
      }
      msgpack_pack_array(pk, e.token_ids.size());
      for (int32_t t : e.token_ids) msgpack_pack_int64(pk, t);
      msgpack_pack_int64(pk, e.block_size);
      if (e.lora_id < 0) {
        msgpack_pack_nil(pk);
      } else {
        msgpack_pack_int64(pk, e.lora_id);
      }
      PackStr(pk, ToString(e.medium));
      return;
    case KvEventKind::kBlockRemoved:
      msgpack_pack_array(pk, 3);
      PackStr(pk, "BlockRemoved");
      PackHashes(pk, e.block_hashes);
      PackStr(pk, ToString(e.medium));
      return;
    case KvEventKind::kAllBlocksCleared:
      msgpack_pack_array(pk, 1);
      PackStr(pk, "AllBlocksCleared");
      return;
  }
}

}  // namespace

std::string EncodeKvEventBatch(double ts, std::span<const KvEvent> events, std::optional<int64_t> data_parallel_rank) {
  msgpack_sbuffer buf;
  msgpack_sbuffer_init(&buf);
  msgpack_packer pk;
  msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
  msgpack_pack_array(&pk, data_parallel_rank ? 3 : 2);
  msgpack_pack_double(&pk, ts);
  msgpack_pack_array(&pk, events.size());
  for (const KvEvent& e : events) PackEvent(&pk, e);
  if (data_parallel_rank) msgpack_pack_int64(&pk, *data_parallel_rank);
  std::string out(buf.data, buf.size);
  msgpack_sbuffer_destroy(&buf);
  return out;
}

std::array<char, 8> SequenceFrame(int64_t seq) {
  std::array<char, 8> f{};
  const uint64_t u = static_cast<uint64_t>(seq);
  for (int i = 0; i < 8; ++i) f[i] = static_cast<char>((u >> (56 - 8 * i)) & 0xff);
  return f;
}

int64_t ParseSequenceFrame(std::span<const char> frame) {
  if (frame.size() != 8) return -2;
  uint64_t u = 0;
  for (char c : frame) u = (u << 8) | static_cast<uint8_t>(c);
  return static_cast<int64_t>(u);
}

}  // namespace cacheopt
