#include "server/metrics.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>

namespace cacheopt {

namespace {
enum MetricType { kCounter = 0, kGauge = 1, kHistogram = 2 };  // Family::type
}  // namespace

struct MetricsRegistry::Series {
  // Counter / gauge: "name{labels} ". Histogram: one per bucket
  // ("name_bucket{labels,le="..."} "), then _sum and _count lines.
  std::string line;
  std::vector<std::string> bucket_lines;
  std::string sum_line, count_line;
  std::unique_ptr<Counter> counter;
  std::unique_ptr<Gauge> gauge;
  std::unique_ptr<Histogram> histogram;
  std::string label_text;  // to reject duplicates
};

struct MetricsRegistry::Family {
  std::string name;
  int type = kCounter;
  std::string header;  // "# HELP ...\n# TYPE ...\n"
  std::vector<double> bounds;
  std::vector<std::unique_ptr<Series>> series;
};

// ---- formatting helpers ----

namespace {

bool NameChar(char c, bool first, bool colon) {
  bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
  return alpha || (!first && c >= '0' && c <= '9');
}

bool ValidName(std::string_view name, bool colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!NameChar(name[i], i == 0, colon)) return false;
  }
  return true;
}

}  // namespace

bool IsValidMetricName(std::string_view name) { return ValidName(name, true); }
bool IsValidLabelName(std::string_view name) {
  return ValidName(name, false) && name.substr(0, 2) != "__";  // "__" is reserved
}

std::string EscapeLabelValue(std::string_view v) {
  std::string s;
  s.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      s += "\\\\";
    else if (c == '"')
      s += "\\\"";
    else if (c == '\n')
      s += "\\n";
    else
      s += c;
  }
  return s;
}

std::string EscapeHelp(std::string_view v) {
  std::string s;
  s.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      s += "\\\\";
    else if (c == '\n')
      s += "\\n";
    else
      s += c;
  }
  return s;
}

void AppendMetricValue(double v, std::string* out) {
  if (std::isnan(v)) {
    out->append("NaN");
  } else if (std::isinf(v)) {
    out->append(v > 0 ? "+Inf" : "-Inf");
  } else {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out->append(buf, r.ptr);
  }
}

std::string FormatBucketBound(double v) {
  std::string s;
  AppendMetricValue(v, &s);
  if (std::isfinite(v) && s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

// ---- Histogram ----

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i < bounds_.size(); ++i) {
    assert(std::isfinite(bounds_[i]));
    assert(i == 0 || bounds_[i - 1] < bounds_[i]);
  }
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double v) {
  size_t b = std::isnan(v)
                 ? bounds_.size()
                 : static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) -
                                       bounds_.begin());
  counts_[b].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot s;
  s.cumulative.resize(bounds_.size() + 1);
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    total += counts_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = total;
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

// ---- MetricsRegistry ----

MetricsRegistry::MetricsRegistry(MetricLabels const_labels)
    : const_labels_(std::move(const_labels)) {
  for ([[maybe_unused]] const auto& [k, v] : const_labels_) assert(IsValidLabelName(k));
}

MetricsRegistry::~MetricsRegistry() = default;

std::string MetricsRegistry::LabelText(const MetricLabels& labels, std::string_view le) const {
  std::string s;
  auto add = [&](std::string_view k, std::string_view v) {
    s += s.empty() ? "{" : ",";
    s.append(k).append("=\"").append(EscapeLabelValue(v)).append("\"");
  };
  for (const auto& [k, v] : const_labels_) add(k, v);
  for (const auto& [k, v] : labels) {
    assert(IsValidLabelName(k) && k != "le");
    add(k, v);
  }
  if (!le.empty()) add("le", le);
  if (!s.empty()) s += "}";
  return s;
}

MetricsRegistry::Family& MetricsRegistry::FamilyFor(std::string_view name, std::string_view help,
                                                    int type) {
  assert(IsValidMetricName(name));
  for (auto& f : families_) {
    if (f->name == name) {
      assert(f->type == type);
      return *f;
    }
  }
  static constexpr const char* kTypeNames[] = {"counter", "gauge", "histogram"};
  auto f = std::make_unique<Family>();
  f->name = std::string(name);
  f->type = type;
  f->header = "# HELP " + f->name + " " + EscapeHelp(help) + "\n# TYPE " + f->name + " " +
              kTypeNames[type] + "\n";
  families_.push_back(std::move(f));
  return *families_.back();
}

Counter& MetricsRegistry::AddCounter(std::string_view name, std::string_view help,
                                     const MetricLabels& labels) {
  std::lock_guard lock(mu_);
  Family& f = FamilyFor(name, help, kCounter);
  auto s = std::make_unique<Series>();
  s->label_text = LabelText(labels);
  for ([[maybe_unused]] auto& other : f.series) assert(other->label_text != s->label_text);
  s->line = f.name + s->label_text + " ";
  s->counter = std::make_unique<Counter>();
  Counter& c = *s->counter;
  f.series.push_back(std::move(s));
  return c;
}

Gauge& MetricsRegistry::AddGauge(std::string_view name, std::string_view help,
                                 const MetricLabels& labels) {
  std::lock_guard lock(mu_);
  Family& f = FamilyFor(name, help, kGauge);
  auto s = std::make_unique<Series>();
  s->label_text = LabelText(labels);
  for ([[maybe_unused]] auto& other : f.series) assert(other->label_text != s->label_text);
  s->line = f.name + s->label_text + " ";
  s->gauge = std::make_unique<Gauge>();
  Gauge& g = *s->gauge;
  f.series.push_back(std::move(s));
  return g;
}

Histogram& MetricsRegistry::AddHistogram(std::string_view name, std::string_view help,
                                         std::vector<double> bounds, const MetricLabels& labels) {
  std::lock_guard lock(mu_);
  Family& f = FamilyFor(name, help, kHistogram);
  if (f.series.empty()) f.bounds = bounds;
  assert(f.bounds == bounds);
  auto s = std::make_unique<Series>();
  s->label_text = LabelText(labels);
  for ([[maybe_unused]] auto& other : f.series) assert(other->label_text != s->label_text);
  for (double b : bounds)
    s->bucket_lines.push_back(f.name + "_bucket" + LabelText(labels, FormatBucketBound(b)) + " ");
  s->bucket_lines.push_back(f.name + "_bucket" + LabelText(labels, "+Inf") + " ");
  s->sum_line = f.name + "_sum" + s->label_text + " ";
  s->count_line = f.name + "_count" + s->label_text + " ";
  s->histogram = std::make_unique<Histogram>(std::move(bounds));
  Histogram& h = *s->histogram;
  f.series.push_back(std::move(s));
  return h;
}

void MetricsRegistry::RenderTo(std::string* out) const {
  out->reserve(out->size() + last_size_.load(std::memory_order_relaxed) + 256);
  size_t start = out->size();
  std::lock_guard lock(mu_);
  for (const auto& f : families_) {
    out->append(f->header);
    for (const auto& s : f->series) {
      if (s->histogram) {
        Histogram::Snapshot snap = s->histogram->Read();
        for (size_t i = 0; i < snap.cumulative.size(); ++i) {
          out->append(s->bucket_lines[i]);
          AppendMetricValue(static_cast<double>(snap.cumulative[i]), out);
          out->push_back('\n');
        }
        out->append(s->sum_line);
        AppendMetricValue(snap.sum, out);
        out->push_back('\n');
        out->append(s->count_line);
        AppendMetricValue(static_cast<double>(snap.count()), out);
        out->push_back('\n');
      } else {
        out->append(s->line);
        AppendMetricValue(s->counter ? s->counter->value() : s->gauge->value(), out);
        out->push_back('\n');
      }
    }
  }
  last_size_.store(out->size() - start, std::memory_order_relaxed);
}

std::string MetricsRegistry::Render() const {
  std::string out;
  RenderTo(&out);
  return out;
}

}  // namespace cacheopt
