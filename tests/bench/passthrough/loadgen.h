// passthrough_loadgen: drives the benchmark's backend (wire.h) through a
// proxy in one of four modes and reports one JSON line. See
// tests/bench/passthrough/README or the usage text in loadgen_main.cc.
//
// Each thread runs its own io_context and owns a fixed set of connection
// slots; a slot reuses its socket object and buffers for the whole run, so the
// hot path allocates nothing. Results are kept per thread and merged once the
// threads have joined.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/asio.h"
#include "tests/bench/passthrough/wire.h"

namespace meshgate::bench {

enum class Mode { kBulk, kConnRate, kLatency, kIdle };
enum class Direction { kUp, kDown };

struct LoadOptions {
  asio::ip::tcp::endpoint target;
  std::string sni;
  std::vector<std::string> alpn{"istio"};
  Mode mode = Mode::kBulk;
  int threads = 1;
  double seconds = 0;  // bulk, connrate, latency
  // bulk
  int streams = 0;
  std::size_t chunk = 65536;
  Direction direction = Direction::kUp;
  // connrate (concurrency) and latency (connections)
  int concurrency = 0;
  std::size_t message = 64;
  // latency and idle
  int connections = 0;
  // idle
  double hold_seconds = 30;
  double rate = 2000;
  // Bound on every connect, read and write.
  std::chrono::milliseconds op_timeout{5000};
};

// Log-bucket histogram of durations in nanoseconds: 128 buckets per power of
// two, so a reported value (a bucket's midpoint) is within 0.4% of a sample.
class LogHistogram {
 public:
  void record(uint64_t nanos) { ++counts_[bucket(nanos)]; }
  void merge(const LogHistogram& other);
  uint64_t count() const;
  // The value at quantile q (0..1], in nanoseconds; 0 when empty.
  double quantile(double q) const;

 private:
  static constexpr int kSubBits = 7;
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kBuckets = 64 * kSub;
  static std::size_t bucket(uint64_t nanos);
  static double midpoint(std::size_t bucket);

  std::array<uint64_t, kBuckets> counts_{};
};

// Failures by kind; `total()` is the JSON's "errors".
struct ErrorCounts {
  uint64_t connect = 0;   // refused, unreachable, ...
  uint64_t io = 0;        // reset or other read/write failure
  uint64_t eof = 0;       // the peer closed before the exchange was done
  uint64_t timeout = 0;   // an operation exceeded op_timeout
  uint64_t mismatch = 0;  // echoed bytes differ from what was sent

  uint64_t total() const { return connect + io + eof + timeout + mismatch; }
  void merge(const ErrorCounts& other);
};

// What one thread measured; merged across threads by merge().
struct Totals {
  uint64_t bytes = 0;      // bulk: payload bytes moved
  uint64_t completed = 0;  // connrate: connections; latency: requests; idle: established
  uint64_t connected = 0;  // successful connects (any mode)
  ErrorCounts errors;
  LogHistogram histogram;  // connrate: first byte; latency: round trip
  // Window actually measured: from the start to min(deadline, last slot done).
  std::chrono::steady_clock::time_point start{};
  std::chrono::steady_clock::time_point end{};

  void merge(const Totals& other);
  double seconds() const;
};

// Runs the mode to completion; `hello` is client_hello()'s result. In idle
// mode `on_established` is called (on the calling thread) once every
// connection is set up; they are held open until it returns.
Totals run_load(const LoadOptions& options, const Bytes& hello,
                const std::function<void(const Totals&)>& on_established);

// The one-line JSON result of a finished run (idle: the "established" line).
std::string result_json(const LoadOptions& options, const Totals& totals);

// One line for stderr naming each kind of error seen; "" when none.
std::string error_summary(const ErrorCounts& errors);

}  // namespace meshgate::bench
