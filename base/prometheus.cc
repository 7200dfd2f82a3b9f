#include "base/prometheus.h"

#include <fmt/format.h>

#include <cmath>
#include <cstddef>
#include <iterator>

namespace meshgate::base {
namespace {

constexpr std::size_t kBucketCount = kLatencyBounds.size() + 1;

// The bounds in whole nanoseconds, so observe() compares integers and a
// latency exactly on a bound lands in that bound's bucket.
constexpr std::array<uint64_t, kLatencyBounds.size()> nanosecond_bounds() {
  std::array<uint64_t, kLatencyBounds.size()> out{};
  for (std::size_t i = 0; i < kLatencyBounds.size(); ++i) {
    out[i] = static_cast<uint64_t>(kLatencyBounds[i] * 1e9 + 0.5);
  }
  return out;
}

constexpr std::array<uint64_t, kLatencyBounds.size()> kBoundsNanoseconds = nanosecond_bounds();

std::size_t bucket_index(uint64_t nanoseconds) {
  for (std::size_t i = 0; i < kBoundsNanoseconds.size(); ++i) {
    if (nanoseconds <= kBoundsNanoseconds[i]) return i;
  }
  return kBucketCount - 1;
}

void add_relaxed(std::atomic<uint64_t>& counter, uint64_t n) {
  counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

const char* type_name(PrometheusWriter::Type type) {
  switch (type) {
    case PrometheusWriter::Type::kCounter:
      return "counter";
    case PrometheusWriter::Type::kGauge:
      return "gauge";
    case PrometheusWriter::Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// Backslash and newline always; the double quote only inside label values.
void append_escaped(std::string& out, std::string_view text, bool quote) {
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

void append_double(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else {
    fmt::format_to(std::back_inserter(out), "{}", value);
  }
}

void append_label(std::string& out, bool& first, std::string_view name, std::string_view value) {
  out += first ? '{' : ',';
  first = false;
  out += name;
  out += "=\"";
  append_escaped(out, value, true);
  out += '"';
}

// name{labels[,le="..."]} followed by a space; `le` null for no le label.
void append_series(std::string& out, std::string_view name, std::span<const Label> labels,
                   const char* le) {
  out += name;
  bool first = true;
  for (const Label& label : labels)
    append_label(out, first, label.name, label.value);
  if (le != nullptr) append_label(out, first, "le", le);
  if (!first) out += '}';
  out += ' ';
}

void append_uint_line(std::string& out, uint64_t value) {
  fmt::format_to(std::back_inserter(out), "{}\n", value);
}

}  // namespace

HistogramSnapshot& HistogramSnapshot::operator+=(const HistogramSnapshot& other) {
  for (std::size_t i = 0; i < buckets.size(); ++i)
    buckets[i] += other.buckets[i];
  count += other.count;
  sum_nanoseconds += other.sum_nanoseconds;
  return *this;
}

void LatencyHistogram::observe(std::chrono::nanoseconds latency) {
  const uint64_t nanoseconds = latency.count() > 0 ? static_cast<uint64_t>(latency.count()) : 0;
  add_relaxed(buckets_[bucket_index(nanoseconds)], 1);
  add_relaxed(sum_nanoseconds_, nanoseconds);
}

HistogramSnapshot LatencyHistogram::snapshot() const {
  HistogramSnapshot out;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    out.buckets[i] = buckets_[i].load(std::memory_order_relaxed);
    out.count += out.buckets[i];
  }
  out.sum_nanoseconds = sum_nanoseconds_.load(std::memory_order_relaxed);
  return out;
}

void PrometheusWriter::family(std::string_view name, Type type, std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  append_escaped(out_, help, false);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type_name(type);
  out_ += '\n';
}

void PrometheusWriter::sample(std::string_view name, std::initializer_list<Label> labels,
                              uint64_t value) {
  sample(name, std::span<const Label>(labels.begin(), labels.size()), value);
}

void PrometheusWriter::sample(std::string_view name, std::span<const Label> labels,
                              uint64_t value) {
  append_series(out_, name, labels, nullptr);
  append_uint_line(out_, value);
}

void PrometheusWriter::sample(std::string_view name, std::span<const Label> labels, double value) {
  append_series(out_, name, labels, nullptr);
  append_double(out_, value);
  out_ += '\n';
}

void PrometheusWriter::histogram(std::string_view name, std::span<const Label> labels,
                                 const HistogramSnapshot& histogram) {
  const std::string bucket_name = fmt::format("{}_bucket", name);
  uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kLatencyBounds.size(); ++i) {
    cumulative += histogram.buckets[i];
    append_series(out_, bucket_name, labels, fmt::format("{}", kLatencyBounds[i]).c_str());
    append_uint_line(out_, cumulative);
  }
  append_series(out_, bucket_name, labels, "+Inf");
  append_uint_line(out_, histogram.count);
  append_series(out_, fmt::format("{}_sum", name), labels, nullptr);
  append_double(out_, static_cast<double>(histogram.sum_nanoseconds) / 1e9);
  out_ += '\n';
  append_series(out_, fmt::format("{}_count", name), labels, nullptr);
  append_uint_line(out_, histogram.count);
}

}  // namespace meshgate::base
