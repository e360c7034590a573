#include "sweep/progress.h"

#include <cmath>
#include <algorithm>
#include <cstdio>

namespace cacheopt::experiment {

std::string FormatDuration(double seconds) {
  long s = std::lround(std::max(0.0, seconds));
  char buf[32];
  if (s < 60) {
    std::snprintf(buf, sizeof(buf), "%lds", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof(buf), "%ldm%02lds", s / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof(buf), "%ldh%02ldm", s / 3600, (s % 3600) / 60);
  }
  return buf;
}

ProgressLine::ProgressLine(std::ostream* out, bool redraw, size_t total_jobs, std::vector<double> total_weight,
                           int threads, double interval_s)
    : out_(out),
      redraw_(redraw),
      total_jobs_(total_jobs),
      total_weight_(std::move(total_weight)),
      done_weight_(total_weight_.size(), 0),
      busy_s_(total_weight_.size(), 0),
      threads_(std::max(1, threads)),
      interval_s_(redraw ? 0.2 : interval_s),
      start_(std::chrono::steady_clock::now()) {}

void ProgressLine::Started(const std::string& label) {
  std::lock_guard<std::mutex> lock(mu_);
  label_ = label;
  PrintLocked(false);
}

void ProgressLine::Finished(int kind, double weight, double job_seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  ++done_jobs_;
  if (kind >= 0 && static_cast<size_t>(kind) < done_weight_.size()) {
    done_weight_[kind] += weight;
    busy_s_[kind] += job_seconds;
  }
  PrintLocked(false);
}

double ProgressLine::EtaLocked() const {
  double all_w = 0, all_s = 0;
  for (size_t k = 0; k < done_weight_.size(); ++k) {
    all_w += done_weight_[k];
    all_s += busy_s_[k];
  }
  if (all_w <= 0) return -1;
  double work_s = 0;
  for (size_t k = 0; k < total_weight_.size(); ++k) {
    double rate = done_weight_[k] > 0 ? busy_s_[k] / done_weight_[k] : all_s / all_w;
    work_s += std::max(0.0, total_weight_[k] - done_weight_[k]) * rate;
  }
  return work_s / threads_;
}

void ProgressLine::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  label_ = "done";
  PrintLocked(true);
  if (out_ != nullptr && redraw_) *out_ << "\n" << std::flush;
}

void ProgressLine::PrintLocked(bool force) {
  if (out_ == nullptr) return;
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (!force && elapsed - last_print_s_ < interval_s_) return;
  last_print_s_ = elapsed;
  int width = static_cast<int>(std::to_string(total_jobs_).size());
  char head[64];
  std::snprintf(head, sizeof(head), "[%*zu/%zu] ", width, done_jobs_, total_jobs_);
  std::string line = head + label_ + "  elapsed " + FormatDuration(elapsed);
  if (double eta = EtaLocked(); eta >= 0 && done_jobs_ < total_jobs_) line += ", eta " + FormatDuration(eta);
  if (redraw_) {
    std::string pad(last_len_ > line.size() ? last_len_ - line.size() : 0, ' ');
    *out_ << "\r" << line << pad << std::flush;
    last_len_ = line.size();
  } else {
    *out_ << line << "\n" << std::flush;
  }
}

}  // namespace cacheopt::experiment
