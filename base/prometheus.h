// The Prometheus text exposition format (version 0.0.4), written by hand: a
// writer that emits families (HELP and TYPE once, then samples) with escaped
// label values, and a fixed-bucket latency histogram whose observe() is a few
// relaxed atomic adds, cheap enough for the data path.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace meshgate::base {

inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

struct Label {
  std::string_view name;
  std::string_view value;  // escaped on output (backslash, double quote, newline)
};

// A counter or gauge with one writer thread and any number of readers.
class Counter {
 public:
  void add(uint64_t n = 1) {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void sub(uint64_t n = 1) {
    value_.store(value_.load(std::memory_order_relaxed) - n, std::memory_order_relaxed);
  }
  uint64_t get() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// Upper bounds in seconds of the latency histogram; +Inf is implied.
// From 50 µs: a DNS answer or a loopback connect takes tens of microseconds.
inline constexpr std::array<double, 17> kLatencyBounds{
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05,    0.1,    0.25,    0.5,    1,     2.5,    5,     10};

struct HistogramSnapshot {
  std::array<uint64_t, kLatencyBounds.size() + 1>
      buckets{};       // per bucket, not cumulative; last is +Inf
  uint64_t count = 0;  // from snapshot(): the total of `buckets`, so +Inf always equals count
  uint64_t sum_nanoseconds = 0;
  HistogramSnapshot& operator+=(const HistogramSnapshot& other);
};

// One writer thread (relaxed atomics), any number of readers. A latency
// falls in the first bucket whose bound it does not exceed (value <= bound);
// a negative latency counts as zero.
class LatencyHistogram {
 public:
  void observe(std::chrono::nanoseconds latency);
  HistogramSnapshot snapshot() const;

 private:
  // No separate count: snapshot() sums the buckets, which keeps count and the
  // +Inf bucket equal even when a reader races the writer.
  std::array<std::atomic<uint64_t>, kLatencyBounds.size() + 1> buckets_{};
  std::atomic<uint64_t> sum_nanoseconds_{0};
};

class PrometheusWriter {
 public:
  enum class Type { kCounter, kGauge, kHistogram };

  // Starts a family: "# HELP name help" and "# TYPE name type". Write all of
  // a family's samples before starting the next. `name` is the family name
  // (for counters it ends in _total, as the conventions ask).
  void family(std::string_view name, Type type, std::string_view help);
  // One sample line of the current family: name{labels} value. Integers are
  // written exactly; doubles in their shortest round-trip form, with +Inf,
  // -Inf and NaN as Prometheus spells them. Names are not checked: they come
  // from the code, never from the network.
  void sample(std::string_view name, std::initializer_list<Label> labels, uint64_t value);
  void sample(std::string_view name, std::span<const Label> labels, uint64_t value);
  void sample(std::string_view name, std::span<const Label> labels, double value);
  // The _bucket (cumulative, with le), _sum (seconds) and _count lines of a
  // histogram family named `name`.
  void histogram(std::string_view name, std::span<const Label> labels,
                 const HistogramSnapshot& histogram);

  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace meshgate::base
