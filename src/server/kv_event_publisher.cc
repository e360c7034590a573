#include "server/kv_event_publisher.h"

#include <chrono>
#include <iostream>
#include <iterator>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "server/kv_event_encoding.h"

namespace cacheopt {
namespace {

// How often the publisher thread looks at the replay socket when nothing
// is published (a publish wakes it at once).
constexpr std::chrono::milliseconds kReplayPoll{5};

bool BindsHere(const std::string& ep) {
  return ep.find('*') != std::string::npos || ep.find("::") != std::string::npos || ep.rfind("ipc://", 0) == 0 ||
         ep.rfind("inproc://", 0) == 0;
}

}  // namespace

struct KvEventPublisher::Sockets {
  zmq::context_t ctx{1};
  zmq::socket_t pub{ctx, zmq::socket_type::pub};
  std::unique_ptr<zmq::socket_t> replay;
};

KvEventPublisher::KvEventPublisher(KvEventsOptions opts, std::function<void(const std::string&)> log)
    : opts_(std::move(opts)), log_(std::move(log)) {}

Result<std::unique_ptr<KvEventPublisher>> KvEventPublisher::Open(const KvEventsOptions& opts,
                                                                 std::function<void(const std::string&)> log) {
  if (opts.endpoint.empty()) return Status::InvalidArgument("--kv-events-endpoint is empty");
  if (opts.buffer_steps < 1)
    return Status::InvalidArgument("--kv-events-buffer-steps must be >= 1, got " + std::to_string(opts.buffer_steps));
  if (opts.hwm < 0) return Status::InvalidArgument("--kv-events-hwm must be >= 0 (0: no limit), got " + std::to_string(opts.hwm));
  std::unique_ptr<KvEventPublisher> p(new KvEventPublisher(opts, std::move(log)));
  p->z_ = std::make_unique<Sockets>();
  Sockets& z = *p->z_;
  const char* which = "--kv-events-endpoint";
  std::string where = opts.endpoint;
  try {
    z.pub.set(zmq::sockopt::sndhwm, opts.hwm);
    z.pub.set(zmq::sockopt::linger, 1000);
    if (BindsHere(opts.endpoint)) {
      z.pub.bind(opts.endpoint);
      p->endpoint_ = z.pub.get(zmq::sockopt::last_endpoint);
    } else {
      z.pub.connect(opts.endpoint);
      p->endpoint_ = opts.endpoint;
    }
    if (!opts.replay_endpoint.empty()) {
      which = "--kv-events-replay-endpoint";
      where = opts.replay_endpoint;
      z.replay = std::make_unique<zmq::socket_t>(z.ctx, zmq::socket_type::router);
      // Room for a whole replay: ROUTER drops what exceeds its high-water mark.
      z.replay->set(zmq::sockopt::sndhwm, opts.buffer_steps + 2);
      z.replay->set(zmq::sockopt::linger, 0);
      z.replay->bind(opts.replay_endpoint);
      p->replay_endpoint_ = z.replay->get(zmq::sockopt::last_endpoint);
    }
  } catch (const zmq::error_t& e) {
    return Status::IoError(std::string("cannot open the KV event socket ") + which + " " + where + ": " + e.what() +
                           (e.num() == EADDRINUSE ? " (the port is taken: another server, or choose another port)" : ""));
  }
  p->thread_ = std::thread([raw = p.get()] { raw->Run(); });
  return p;
}

KvEventPublisher::~KvEventPublisher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

double KvEventPublisher::WallTime() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void KvEventPublisher::Publish(std::span<const KvEvent> events, double ts) {
  if (events.empty()) return;
  std::string payload = EncodeKvEventBatch(ts, events, opts_.data_parallel_rank);
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(payload));
  }
  cv_.notify_one();
}

int64_t KvEventPublisher::sent() const {
  std::lock_guard<std::mutex> lock(mu_);
  return next_seq_;
}

void KvEventPublisher::Run() {
  std::vector<std::string> batch;
  for (;;) {
    bool stopping;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, kReplayPoll, [&] { return stop_ || !queue_.empty(); });
      batch.swap(queue_);
      stopping = stop_;
    }
    for (std::string& payload : batch) {
      int64_t seq;
      {
        std::lock_guard<std::mutex> lock(mu_);
        seq = next_seq_;
      }
      const auto seq_frame = SequenceFrame(seq);
      try {
        z_->pub.send(zmq::buffer(opts_.topic), zmq::send_flags::sndmore);
        z_->pub.send(zmq::buffer(seq_frame), zmq::send_flags::sndmore);
        z_->pub.send(zmq::buffer(payload), zmq::send_flags::none);
      } catch (const zmq::error_t& e) {
        Warn(std::string("serve: KV event publish failed: ") + e.what());
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++next_seq_;
      }
      kept_.emplace_back(seq, std::move(payload));
      if (static_cast<int64_t>(kept_.size()) > opts_.buffer_steps) kept_.pop_front();
    }
    batch.clear();
    if (z_->replay) ServeReplay();
    if (stopping) {
      std::lock_guard<std::mutex> lock(mu_);
      if (queue_.empty()) break;
    }
  }
  z_->pub.close();
  if (z_->replay) z_->replay->close();
  z_->ctx.close();
}

void KvEventPublisher::Warn(const std::string& message) const {
  if (log_) {
    log_(message);
  } else {
    std::cerr << message << "\n";
  }
}

void KvEventPublisher::ServeReplay() {
  auto warn = [this](const std::string& m) { Warn(m); };
  for (;;) {
    std::vector<zmq::message_t> req;
    try {
      if (!zmq::recv_multipart(*z_->replay, std::back_inserter(req), zmq::recv_flags::dontwait)) return;
    } catch (const zmq::error_t& e) {
      warn(std::string("serve: KV event replay: ") + e.what());
      return;
    }
    // [client identity, empty delimiter, 8-byte start sequence]
    if (req.size() != 3 || req[1].size() != 0) {
      warn("serve: KV event replay: ignored a request of " + std::to_string(req.size()) +
           " frames (expected an empty delimiter and an 8-byte start sequence)");
      continue;
    }
    const std::string id = req[0].to_string();
    auto send = [&](std::span<const char> seq, std::string_view payload) {
      z_->replay->send(zmq::buffer(id), zmq::send_flags::sndmore);
      z_->replay->send(zmq::message_t(), zmq::send_flags::sndmore);
      z_->replay->send(zmq::buffer(seq.data(), seq.size()), zmq::send_flags::sndmore);
      z_->replay->send(zmq::buffer(payload.data(), payload.size()), zmq::send_flags::none);
    };
    const int64_t start = ParseSequenceFrame(std::span<const char>(req[2].data<char>(), req[2].size()));
    try {
      if (start < 0) {
        warn("serve: KV event replay: the start sequence must be 8 bytes, got " + std::to_string(req[2].size()));
      } else {
        for (const auto& [seq, payload] : kept_) {
          if (seq >= start) send(SequenceFrame(seq), payload);
        }
      }
      send(SequenceFrame(kReplayEndSeq), "");
    } catch (const zmq::error_t& e) {
      warn(std::string("serve: KV event replay: ") + e.what());
    }
  }
}

}  // namespace cacheopt
