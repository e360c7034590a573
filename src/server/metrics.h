// A small Prometheus registry: counters, gauges and fixed-bucket histograms
// with labels, rendered in the text exposition format 0.0.4.
//
// Threads: one writer (the engine thread) updates values; HTTP threads
// render. Values are relaxed atomics, so writers never lock and never wait
// for a scrape. The registry's structure (which series exist) is guarded by
// a mutex that only registration and Render take; register every series
// before serving (later registration is safe, just not free).
//
// Rendering is cheap enough to scrape every 50 ms: every series' name and
// label text (including each bucket's le="...") is formatted once, at
// registration; Render only appends numbers.
//
// Conventions, as Python's prometheus_client (which vLLM uses) writes them:
// a counter is registered under its full sample name ("..._total") and its
// HELP / TYPE lines use that name; le values print as Python floats
// ("0.5", "1.0", "+Inf"), so queries written against vLLM match ours.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cacheopt {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void Inc(double by = 1) { v_.fetch_add(by, std::memory_order_relaxed); }
  // Mirrors a total counted elsewhere (e.g. the engine's cumulative
  // preemptions); the caller keeps it non-decreasing.
  void SetTotal(double total) { v_.store(total, std::memory_order_relaxed); }
  double value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> v_{0};
};

class Gauge {
 public:
  void Set(double v) { v_.store(v, std::memory_order_relaxed); }
  void Add(double by) { v_.fetch_add(by, std::memory_order_relaxed); }
  double value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> v_{0};
};

class Histogram {
 public:
  // `bounds`: finite upper bounds, strictly increasing; +Inf is implicit.
  explicit Histogram(std::vector<double> bounds);
  // Into the first bucket with v <= bound (Prometheus' "le"); NaN: +Inf.
  void Observe(double v);

  struct Snapshot {
    std::vector<uint64_t> cumulative;  // per bound, then +Inf (== count)
    double sum = 0;
    uint64_t count() const { return cumulative.empty() ? 0 : cumulative.back(); }
  };
  // The count is derived from the buckets, so _count always equals the +Inf
  // bucket even while a writer is mid-Observe.
  Snapshot Read() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // per bucket, bounds_.size() + 1
  std::atomic<double> sum_{0};
};

class MetricsRegistry {
 public:
  // `const_labels` go first on every series (e.g. model_name).
  explicit MetricsRegistry(MetricLabels const_labels = {});
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Registers a series; the same name again adds a series to that family
  // (same type and bounds, distinct labels; the first help wins). The reference stays valid
  // for the registry's life. Names and label names must be valid Prometheus
  // names (asserted); label values are escaped.
  Counter& AddCounter(std::string_view name, std::string_view help,
                      const MetricLabels& labels = {});
  Gauge& AddGauge(std::string_view name, std::string_view help, const MetricLabels& labels = {});
  Histogram& AddHistogram(std::string_view name, std::string_view help, std::vector<double> bounds,
                          const MetricLabels& labels = {});

  // Families in registration order, series in registration order.
  std::string Render() const;
  void RenderTo(std::string* out) const;  // appends

 private:
  struct Series;
  struct Family;
  Family& FamilyFor(std::string_view name, std::string_view help, int type);
  std::string LabelText(const MetricLabels& labels, std::string_view le = {}) const;

  MetricLabels const_labels_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Family>> families_;
  mutable std::atomic<size_t> last_size_{0};  // to reserve the next render's buffer
};

// Text-format escaping: label values escape \ " and newline; HELP text
// escapes \ and newline.
std::string EscapeLabelValue(std::string_view v);
std::string EscapeHelp(std::string_view v);
// A sample value: shortest round-trip decimal, "+Inf", "-Inf", "NaN".
void AppendMetricValue(double v, std::string* out);
// An le label value the way Python prints floats: "0.005", "1.0", "+Inf".
std::string FormatBucketBound(double v);
bool IsValidMetricName(std::string_view name);
bool IsValidLabelName(std::string_view name);

}  // namespace cacheopt
