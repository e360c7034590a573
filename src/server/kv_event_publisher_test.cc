// The publisher on real ZMQ sockets: gapless sequence numbers, the frames as
// vLLM sends them, replay from a start sequence with its end marker, bad
// replay requests answered or ignored, and a taken port refused clearly.
#include "server/kv_event_publisher.h"

#include <gtest/gtest.h>

#include <chrono>
#include <iterator>
#include <thread>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "server/kv_event_encoding.h"

namespace cacheopt {
namespace {

std::vector<KvEvent> Removed(BlockHash h) {
  std::vector<KvEvent> ev(1);
  ev[0].kind = KvEventKind::kBlockRemoved;
  ev[0].block_hashes = {h};
  return ev;
}

std::vector<zmq::message_t> Recv(zmq::socket_t& s) {
  std::vector<zmq::message_t> m;
  EXPECT_TRUE(zmq::recv_multipart(s, std::back_inserter(m)));
  return m;
}

std::string Str(const zmq::message_t& m) { return m.to_string(); }
int64_t Seq(const zmq::message_t& m) { return ParseSequenceFrame(std::span<const char>(m.data<char>(), m.size())); }

struct Sockets {
  zmq::context_t ctx;
  zmq::socket_t sub{ctx, zmq::socket_type::sub};
  zmq::socket_t replay{ctx, zmq::socket_type::dealer};
  explicit Sockets(const KvEventPublisher& p, const std::string& topic) {
    for (zmq::socket_t* s : {&sub, &replay}) {
      s->set(zmq::sockopt::rcvtimeo, 5000);
      s->set(zmq::sockopt::linger, 0);
    }
    sub.set(zmq::sockopt::subscribe, topic);
    sub.connect(p.endpoint());
    replay.connect(p.replay_endpoint());
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // PUB drops until the SUB has joined
  }
  void AskReplay(const std::vector<std::string>& frames) {
    for (size_t i = 0; i < frames.size(); ++i)
      replay.send(zmq::buffer(frames[i]), i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }
};

std::string SeqBytes(int64_t s) {
  auto f = SequenceFrame(s);
  return std::string(f.begin(), f.end());
}

TEST(KvEventPublisherTest, PublishesGaplessAndReplaysFromAStartSequence) {
  KvEventsOptions o;
  o.endpoint = "tcp://127.0.0.1:*";
  o.replay_endpoint = "tcp://127.0.0.1:*";
  o.topic = "kv@test";
  o.buffer_steps = 3;
  auto p = KvEventPublisher::Open(o);
  ASSERT_TRUE(p.ok()) << p.status().message();
  Sockets c(**p, "kv@");
  (*p)->Publish({}, 1.0);  // nothing: not sent, no sequence number used
  for (int i = 0; i < 5; ++i) (*p)->Publish(Removed(100 + i), 10.0 + i);
  for (int i = 0; i < 5; ++i) {
    auto m = Recv(c.sub);
    ASSERT_EQ(m.size(), 3u);
    EXPECT_EQ(Str(m[0]), "kv@test");
    EXPECT_EQ(Seq(m[1]), i);
    EXPECT_EQ(Str(m[2]), EncodeKvEventBatch(10.0 + i, Removed(100 + i), 0));
  }
  // Replay from 1: only the last 3 (buffer_steps) are kept, 2..4.
  c.AskReplay({"", SeqBytes(1)});
  for (int i = 2; i <= 5; ++i) {
    auto m = Recv(c.replay);
    ASSERT_EQ(m.size(), 3u);
    EXPECT_EQ(Str(m[0]), "");
    if (i == 5) {
      EXPECT_EQ(Seq(m[1]), kReplayEndSeq);
      EXPECT_EQ(Str(m[2]), "");
    } else {
      EXPECT_EQ(Seq(m[1]), i);
      EXPECT_EQ(Str(m[2]), EncodeKvEventBatch(10.0 + i, Removed(100 + i), 0));
    }
  }
  EXPECT_EQ((*p)->sent(), 5);
}

TEST(KvEventPublisherTest, BadReplayRequestsAreIgnoredOrEndedAndServingGoesOn) {
  KvEventsOptions o;
  o.endpoint = "tcp://127.0.0.1:*";
  o.replay_endpoint = "tcp://127.0.0.1:*";
  std::vector<std::string> warnings;
  std::mutex mu;
  auto p = KvEventPublisher::Open(o, [&](const std::string& w) {
    std::lock_guard<std::mutex> lock(mu);
    warnings.push_back(w);
  });
  ASSERT_TRUE(p.ok()) << p.status().message();
  Sockets c(**p, "");
  (*p)->Publish(Removed(7), 1.0);
  ASSERT_EQ(Recv(c.sub).size(), 3u);
  c.AskReplay({"no delimiter"});  // ignored (and logged)
  c.AskReplay({"", "abc"});       // a start that is not 8 bytes: just the end marker
  auto m = Recv(c.replay);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(Seq(m[1]), kReplayEndSeq);
  c.AskReplay({"", SeqBytes(0)});  // still serving
  m = Recv(c.replay);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(Seq(m[1]), 0);
  EXPECT_EQ(Seq(Recv(c.replay)[1]), kReplayEndSeq);
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(warnings.size(), 2u);
}

TEST(KvEventPublisherTest, ATakenPortIsAClearError) {
  KvEventsOptions o;
  o.endpoint = "tcp://*:*";
  auto first = KvEventPublisher::Open(o);
  ASSERT_TRUE(first.ok()) << first.status().message();
  const std::string ep = (*first)->endpoint();  // tcp://0.0.0.0:PORT
  o.endpoint = "tcp://*:" + ep.substr(ep.rfind(':') + 1);
  auto second = KvEventPublisher::Open(o);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("--kv-events-endpoint " + o.endpoint), std::string::npos)
      << second.status().message();
  EXPECT_NE(second.status().message().find("in use"), std::string::npos) << second.status().message();
  o.endpoint = "tcp://nonsense";  // no port: refused, named
  auto third = KvEventPublisher::Open(o);
  ASSERT_FALSE(third.ok());
  EXPECT_NE(third.status().message().find("--kv-events-endpoint tcp://nonsense"), std::string::npos)
      << third.status().message();
  o.endpoint = "tcp://127.0.0.1:*";
  o.replay_endpoint = "bogus://x";
  auto fourth = KvEventPublisher::Open(o);
  ASSERT_FALSE(fourth.ok());
  EXPECT_NE(fourth.status().message().find("--kv-events-replay-endpoint bogus://x"), std::string::npos)
      << fourth.status().message();
  o.endpoint = "tcp://*:*";
  o.replay_endpoint = "";
  o.buffer_steps = 0;
  EXPECT_FALSE(KvEventPublisher::Open(o).ok());
}

}  // namespace
}  // namespace cacheopt
