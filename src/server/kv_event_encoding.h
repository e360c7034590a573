// vLLM's KV-event wire format (vllm/distributed/kv_events.py, v0.11.2),
// byte for byte. Each published message is three ZMQ frames:
//   [topic, 8-byte big-endian sequence number, msgpack EventBatch]
// EventBatch and the events are msgspec structs with array_like=True and
// omit_defaults=True, the events tagged (tag=True: the class name first):
//   EventBatch       = [ts: float64, events: [...], data_parallel_rank: int]
//   BlockStored      = ["BlockStored", block_hashes: [uint...], parent_block_hash: uint | nil,
//                       token_ids: [int...], block_size: int, lora_id: int | nil, medium: str | nil]
//   BlockRemoved     = ["BlockRemoved", block_hashes: [uint...], medium: str | nil]
//   AllBlocksCleared = ["AllBlocksCleared"]
// Integers take msgpack's smallest form and floats float64, as msgspec
// writes them; block hashes are our 64-bit hashes as integers (vLLM's
// ExternalBlockHash int form, VLLM_KV_EVENTS_USE_INT_BLOCK_HASHES).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "cacheopt/kv_events.h"

namespace cacheopt {

// The msgpack EventBatch. `data_parallel_rank` nullopt: left out (msgspec's
// omit_defaults); vLLM's publisher always sets it (its rank, 0 without data
// parallelism).
std::string EncodeKvEventBatch(double ts, std::span<const KvEvent> events,
                               std::optional<int64_t> data_parallel_rank = 0);

// A sequence number as the 8-byte big-endian frame (two's complement, so -1,
// the replay's end marker, is eight 0xff bytes).
std::array<char, 8> SequenceFrame(int64_t seq);
int64_t ParseSequenceFrame(std::span<const char> frame);  // the inverse; -2 if not 8 bytes

// The replay stream's end marker (ZmqEventPublisher.END_SEQ).
inline constexpr int64_t kReplayEndSeq = -1;

}  // namespace cacheopt
