// The KV-event encoding against frames built by hand from vLLM v0.11.2's
// struct definitions and the msgpack spec (what msgspec writes for them).
#include "server/kv_event_encoding.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cacheopt {
namespace {

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int v : b) s.push_back(static_cast<char>(v));
  return s;
}
std::string Str(std::string_view s) { return std::string(1, static_cast<char>(0xa0 | s.size())) + std::string(s); }

TEST(KvEventEncodingTest, ABatchOfEachKindByteForByte) {
  std::vector<KvEvent> ev(3);
  ev[0].kind = KvEventKind::kBlockStored;
  ev[0].block_hashes = {1, 300};
  ev[0].token_ids = {1, 2, 3, 4, 5, 6, 7, 200};
  ev[0].block_size = 4;
  ev[1].kind = KvEventKind::kBlockRemoved;
  ev[1].block_hashes = {0xffffffffffffffffULL};
  ev[2].kind = KvEventKind::kAllBlocksCleared;
  const std::string expected =
      Bytes({0x93}) +                                                   // EventBatch: 3 fields
      Bytes({0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0}) +                     // ts 1.5 (float64)
      Bytes({0x93}) +                                                   // 3 events
      Bytes({0x97}) + Str("BlockStored") +                              // tag + 6 fields
      Bytes({0x92, 0x01, 0xcd, 0x01, 0x2c}) +                           // block_hashes [1, 300]
      Bytes({0xc0}) +                                                   // parent_block_hash None
      Bytes({0x98, 1, 2, 3, 4, 5, 6, 7, 0xcc, 200}) +                   // token_ids
      Bytes({0x04}) +                                                   // block_size
      Bytes({0xc0}) +                                                   // lora_id None
      Str("GPU") +                                                      // medium
      Bytes({0x93}) + Str("BlockRemoved") +                             //
      Bytes({0x91, 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}) +  // a 64-bit hash
      Str("GPU") +                                                      //
      Bytes({0x91}) + Str("AllBlocksCleared") +                         //
      Bytes({0x00});                                                    // data_parallel_rank 0
  EXPECT_EQ(EncodeKvEventBatch(1.5, ev, 0), expected);
}

TEST(KvEventEncodingTest, ParentLoraAndAnOmittedRank) {
  std::vector<KvEvent> ev(1);
  ev[0].block_hashes = {70000};
  ev[0].parent = 128;
  ev[0].token_ids = {65536, 0};
  ev[0].block_size = 2;
  ev[0].lora_id = 3;
  ev[0].medium = KvMedium::kCpu;
  const std::string expected = Bytes({0x92, 0xcb, 0, 0, 0, 0, 0, 0, 0, 0, 0x91, 0x97}) + Str("BlockStored") +
                               Bytes({0x91, 0xce, 0x00, 0x01, 0x11, 0x70}) +  // 70000: uint32
                               Bytes({0xcc, 0x80}) +                          // parent 128: uint8
                               Bytes({0x92, 0xce, 0x00, 0x01, 0x00, 0x00, 0x00}) + Bytes({0x02, 0x03}) + Str("CPU");
  EXPECT_EQ(EncodeKvEventBatch(0.0, ev, std::nullopt), expected);
  EXPECT_EQ(EncodeKvEventBatch(0.0, {}, 1), Bytes({0x93, 0xcb, 0, 0, 0, 0, 0, 0, 0, 0, 0x90, 0x01}));
}

TEST(KvEventEncodingTest, SequenceFramesAreBigEndian) {
  const auto f = SequenceFrame(0x0102030405060708LL);
  EXPECT_EQ(std::string(f.begin(), f.end()), Bytes({1, 2, 3, 4, 5, 6, 7, 8}));
  const auto end = SequenceFrame(kReplayEndSeq);
  EXPECT_EQ(std::string(end.begin(), end.end()), std::string(8, static_cast<char>(0xff)));
  EXPECT_EQ(ParseSequenceFrame(f), 0x0102030405060708LL);
  EXPECT_EQ(ParseSequenceFrame(end), kReplayEndSeq);
  EXPECT_EQ(ParseSequenceFrame(std::string("abc")), -2);
}

}  // namespace
}  // namespace cacheopt
