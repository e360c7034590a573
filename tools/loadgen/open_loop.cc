#include "loadgen/open_loop.h"

#include <condition_variable>
#include <mutex>
#include <system_error>
#include <thread>

namespace cacheopt::bench {

OpenLoopResult RunOpenLoop(const std::vector<PlannedRequest>& plan, const SendFn& send, int32_t max_concurrency,
                           BenchProgress* progress, double time_limit_s) {
  OpenLoopResult out;
  out.records.resize(plan.size());
  std::mutex mu;
  std::condition_variable slot_freed;
  int64_t in_flight = 0;
  // One thread per request, joined as soon as it ends: an ended thread that
  // is not joined keeps its stack mapped, and a long run at a high rate would
  // otherwise run out of mappings (vm.max_map_count) after ~32k requests.
  std::vector<std::thread> threads(plan.size());
  std::vector<size_t> ended;  // indices whose threads have returned or are returning
  std::vector<size_t> to_join;
  const auto join_ended = [&] {
    {
      std::lock_guard<std::mutex> lock(mu);
      to_join.swap(ended);
    }
    for (size_t k : to_join) threads[k].join();
    to_join.clear();
  };

  const SteadyClock::time_point origin = SteadyClock::now();
  for (size_t i = 0; i < plan.size(); ++i) {
    const auto due = origin + std::chrono::duration_cast<SteadyClock::duration>(
                                  std::chrono::duration<double>(plan[i].send_offset_s));
    if (plan[i].send_offset_s >= time_limit_s) {
      RequestRecord& r = out.records[i];
      r.send_s = plan[i].send_offset_s;
      r.error = "not sent: " + TimeLimitError(time_limit_s);
      r.fault = "time-limit";
      continue;
    }
    std::this_thread::sleep_until(due);
    join_ended();
    {
      std::unique_lock<std::mutex> lock(mu);
      if (max_concurrency > 0) slot_freed.wait(lock, [&] { return in_flight < max_concurrency; });
      ++in_flight;
    }
    auto body = [&, i] {
      out.records[i] = send(plan[i], origin);
      if (progress != nullptr) progress->Done(out.records[i].success);
      {
        std::lock_guard<std::mutex> lock(mu);
        --in_flight;
        ended.push_back(i);
      }
      slot_freed.notify_one();
    };
    if (progress != nullptr) progress->Sent();
    try {
      threads[i] = std::thread(body);
    } catch (const std::system_error& e) {
      RequestRecord& r = out.records[i];
      r.send_s = SecondsSince(origin);
      r.error = std::string("could not start a thread for the request: ") + e.what();
      {
        std::lock_guard<std::mutex> lock(mu);
        --in_flight;
      }
      if (progress != nullptr) progress->Done(false);
    }
  }
  for (std::thread& t : threads) {
    if (t.joinable()) t.join();
  }
  out.duration_s = SecondsSince(origin);
  if (progress != nullptr) progress->Close();
  return out;
}

}  // namespace cacheopt::bench
