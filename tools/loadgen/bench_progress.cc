#include "loadgen/bench_progress.h"

#include <cstdio>
#include <string>

namespace cacheopt::bench {

BenchProgress::BenchProgress(std::ostream* out, bool redraw, int64_t total, double interval_s)
    : out_(out), redraw_(redraw), total_(total), interval_s_(interval_s), start_(std::chrono::steady_clock::now()) {}

void BenchProgress::Sent() {
  std::lock_guard<std::mutex> lock(mu_);
  ++sent_;
  PrintLocked(false);
}

void BenchProgress::Done(bool success) {
  std::lock_guard<std::mutex> lock(mu_);
  ++done_;
  failed_ += !success;
  PrintLocked(false);
}

void BenchProgress::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return;
  PrintLocked(true);
  if (out_ != nullptr && redraw_) *out_ << "\n" << std::flush;
  closed_ = true;
}

void BenchProgress::PrintLocked(bool force) {
  if (out_ == nullptr || closed_) return;
  const double now = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double every = redraw_ ? 0.1 : interval_s_;
  if (!force && now - last_print_s_ < every) return;
  last_print_s_ = now;
  char line[160];
  std::snprintf(line, sizeof(line), "bench: %lld/%lld done (%lld failed), %lld sent, %lld in flight, %.1f s",
                static_cast<long long>(done_), static_cast<long long>(total_), static_cast<long long>(failed_),
                static_cast<long long>(sent_), static_cast<long long>(sent_ - done_), now);
  if (redraw_) {
    *out_ << "\r" << line << "\x1b[K" << std::flush;
  } else {
    *out_ << line << "\n" << std::flush;
  }
}

}  // namespace cacheopt::bench
