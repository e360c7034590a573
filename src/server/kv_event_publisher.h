// Publishes the engine's prefix-cache block events as vLLM's
// ZmqEventPublisher does (vllm/distributed/kv_events.py, v0.11.2): a ZMQ
// PUB socket sends each step's events as one message
//   [topic, 8-byte big-endian sequence number, msgpack EventBatch]
// (kv_event_encoding.h), numbered from 0 without gaps; the last
// `buffer_steps` messages are kept, and an optional ROUTER socket replays
// them: a client sends [empty frame, 8-byte start sequence] (a REQ socket's
// envelope), and gets [empty, seq, payload] for every kept message with
// seq >= start, then [empty, -1 as 8 bytes, empty] (END_SEQ).
//
// Threads: Publish (the engine thread) encodes and queues; one publisher
// thread owns both sockets, sends the queue and answers replay requests.
// The engine never waits on a subscriber (PUB drops past its high-water mark).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cacheopt/kv_events.h"
#include "cacheopt/status.h"

namespace cacheopt {

// vLLM's --kv-events-config fields (KVEventsConfig), with its defaults.
struct KvEventsOptions {
  // PUB endpoint. As vLLM: bound when it holds "*" or "::" or is ipc:// or
  // inproc://, else connected (to a subscriber that binds).
  std::string endpoint = "tcp://*:5557";
  std::string replay_endpoint;  // ROUTER, always bound; "": no replay
  std::string topic;            // first frame of every message
  int32_t buffer_steps = 10000;  // messages kept for replay
  int32_t hwm = 100000;          // the PUB socket's send high-water mark
  int64_t data_parallel_rank = 0;
};

class KvEventPublisher {
 public:
  // Opens the sockets (an endpoint in use or malformed: an error naming it)
  // and starts the publisher thread. `log` gets warnings (malformed replay
  // requests); null: stderr.
  static Result<std::unique_ptr<KvEventPublisher>> Open(const KvEventsOptions& opts,
                                                        std::function<void(const std::string&)> log = nullptr);
  // Sends what is queued (the sockets linger up to 1 s for slow
  // subscribers), then closes.
  ~KvEventPublisher();
  KvEventPublisher(const KvEventPublisher&) = delete;
  KvEventPublisher& operator=(const KvEventPublisher&) = delete;

  // Queues one batch (one engine step's events; an empty list is not
  // sent). `ts`: seconds since the Unix epoch, as vLLM's time.time().
  void Publish(std::span<const KvEvent> events, double ts);
  // Seconds since the Unix epoch now.
  static double WallTime();

  // Where the sockets are (ZMQ's last endpoint: the port a "*" port got).
  const std::string& endpoint() const { return endpoint_; }
  const std::string& replay_endpoint() const { return replay_endpoint_; }
  // Messages sent so far (the next sequence number).
  int64_t sent() const;

 private:
  struct Sockets;
  KvEventPublisher(KvEventsOptions opts, std::function<void(const std::string&)> log);
  void Run();
  void ServeReplay();
  void Warn(const std::string& message) const;

  KvEventsOptions opts_;
  std::function<void(const std::string&)> log_;
  std::unique_ptr<Sockets> z_;
  std::string endpoint_, replay_endpoint_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> queue_;  // encoded batches (guarded)
  bool stop_ = false;               // guarded
  int64_t next_seq_ = 0;            // guarded
  std::deque<std::pair<int64_t, std::string>> kept_;  // publisher thread only
  std::thread thread_;
};

}  // namespace cacheopt
