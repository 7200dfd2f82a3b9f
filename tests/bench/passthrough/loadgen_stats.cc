// Percentiles, merging and the JSON result of passthrough_loadgen.
#include <algorithm>
#include <bit>
#include <cstdio>
#include <string>

#include "tests/bench/passthrough/loadgen.h"

namespace meshgate::bench {
namespace {

std::string format(const char* spec, double value) {
  char text[64];
  std::snprintf(text, sizeof text, spec, value);
  return text;
}

// {"p50":..,"p99":..,"p999":..} in microseconds with one decimal.
std::string percentiles_json(const LogHistogram& histogram) {
  auto micros = [&](double q) { return format("%.1f", histogram.quantile(q) / 1000.0); };
  return "{\"p50\":" + micros(0.50) + ",\"p99\":" + micros(0.99) + ",\"p999\":" + micros(0.999) +
         "}";
}

double per_second(uint64_t count, double seconds) {
  return seconds > 0 ? static_cast<double>(count) / seconds : 0.0;
}

std::string bulk_json(const LoadOptions& options, const Totals& totals) {
  const double seconds = totals.seconds();
  const double gbit = per_second(totals.bytes, seconds) * 8 / 1e9;
  const char* direction = options.direction == Direction::kUp ? "up" : "down";
  return std::string("{\"mode\":\"bulk\",\"direction\":\"") + direction +
         "\",\"streams\":" + std::to_string(options.streams) +
         ",\"seconds\":" + format("%.3f", seconds) + ",\"bytes\":" + std::to_string(totals.bytes) +
         ",\"gbit_per_s\":" + format("%.3f", gbit) +
         ",\"errors\":" + std::to_string(totals.errors.total()) + "}";
}

std::string connrate_json(const LoadOptions& options, const Totals& totals) {
  const double seconds = totals.seconds();
  return "{\"mode\":\"connrate\",\"concurrency\":" + std::to_string(options.concurrency) +
         ",\"seconds\":" + format("%.3f", seconds) +
         ",\"connections\":" + std::to_string(totals.completed) +
         ",\"per_second\":" + format("%.1f", per_second(totals.completed, seconds)) +
         ",\"first_byte_us\":" + percentiles_json(totals.histogram) +
         ",\"errors\":" + std::to_string(totals.errors.total()) + "}";
}

std::string latency_json(const LoadOptions& options, const Totals& totals) {
  const double seconds = totals.seconds();
  return "{\"mode\":\"latency\",\"connections\":" + std::to_string(options.connections) +
         ",\"seconds\":" + format("%.3f", seconds) +
         ",\"requests\":" + std::to_string(totals.completed) +
         ",\"per_second\":" + format("%.1f", per_second(totals.completed, seconds)) +
         ",\"latency_us\":" + percentiles_json(totals.histogram) +
         ",\"errors\":" + std::to_string(totals.errors.total()) + "}";
}

}  // namespace

std::size_t LogHistogram::bucket(uint64_t nanos) {
  if (nanos < kSub) return static_cast<std::size_t>(nanos);
  const int exponent = std::bit_width(nanos) - 1;  // >= kSubBits
  const uint64_t sub = (nanos >> (exponent - kSubBits)) & (kSub - 1);
  return static_cast<std::size_t>(exponent - kSubBits + 1) * kSub + sub;
}

double LogHistogram::midpoint(std::size_t bucket) {
  if (bucket < kSub) return static_cast<double>(bucket);
  const int exponent = static_cast<int>(bucket / kSub) + kSubBits - 1;
  const double width = static_cast<double>(uint64_t{1} << (exponent - kSubBits));
  const double low = static_cast<double>(kSub + bucket % kSub) * width;
  return low + width / 2;
}

void LogHistogram::merge(const LogHistogram& other) {
  for (std::size_t i = 0; i < counts_.size(); ++i)
    counts_[i] += other.counts_[i];
}

uint64_t LogHistogram::count() const {
  uint64_t total = 0;
  for (uint64_t c : counts_)
    total += c;
  return total;
}

double LogHistogram::quantile(double q) const {
  const uint64_t total = count();
  if (total == 0) return 0;
  // The smallest sample with at least q of all samples at or below it.
  const double wanted = std::clamp(q, 0.0, 1.0) * static_cast<double>(total);
  uint64_t rank = static_cast<uint64_t>(wanted);
  if (static_cast<double>(rank) < wanted || rank == 0) ++rank;
  uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return midpoint(i);
  }
  return midpoint(counts_.size() - 1);
}

void ErrorCounts::merge(const ErrorCounts& other) {
  connect += other.connect;
  io += other.io;
  eof += other.eof;
  timeout += other.timeout;
  mismatch += other.mismatch;
}

void Totals::merge(const Totals& other) {
  bytes += other.bytes;
  completed += other.completed;
  connected += other.connected;
  errors.merge(other.errors);
  histogram.merge(other.histogram);
  if (start == std::chrono::steady_clock::time_point{} || other.start < start) start = other.start;
  end = std::max(end, other.end);
}

double Totals::seconds() const {
  if (end <= start) return 0;
  return std::chrono::duration<double>(end - start).count();
}

std::string result_json(const LoadOptions& options, const Totals& totals) {
  switch (options.mode) {
    case Mode::kBulk:
      return bulk_json(options, totals);
    case Mode::kConnRate:
      return connrate_json(options, totals);
    case Mode::kLatency:
      return latency_json(options, totals);
    case Mode::kIdle:
      break;
  }
  return "{\"mode\":\"idle\",\"established\":" + std::to_string(totals.completed) +
         ",\"errors\":" + std::to_string(totals.errors.total()) + "}";
}

std::string error_summary(const ErrorCounts& errors) {
  if (errors.total() == 0) return "";
  return "errors: connect=" + std::to_string(errors.connect) + " io=" + std::to_string(errors.io) +
         " eof=" + std::to_string(errors.eof) + " timeout=" + std::to_string(errors.timeout) +
         " mismatch=" + std::to_string(errors.mismatch);
}

}  // namespace meshgate::bench
