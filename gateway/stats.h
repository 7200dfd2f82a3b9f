// Gateway counters. Each worker owns its counters and is their only writer;
// readers on other threads take snapshots. Relaxed atomics: a counter never
// orders anything.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/prometheus.h"
#include "gateway/close_reason.h"
#include "gateway/routing/listener_kind.h"

namespace meshgate::gateway {

// One listener on one worker.
struct PassthroughStats {
  base::Counter accepted;             // connections accepted
  base::Counter active;               // open now
  base::Counter accept_errors;        // accept() failed (e.g. EMFILE); accepting pauses briefly
  base::Counter hellos_parsed;        // complete ClientHellos (passthrough only)
  base::Counter connect_attempts;     // upstream connects started
  base::Counter connect_failures;     // upstream connects that failed or timed out
  base::Counter first_byte_timeouts;  // of those: connected, but no byte back after the hello
  base::Counter ejections;            // endpoints ejected after consecutive connect failures
  base::Counter bytes_from_client;    // relayed client -> upstream (ClientHello included)
  base::Counter bytes_from_upstream;  // relayed upstream -> client
  base::Counter splice_fallbacks;     // relays that copied: no pipe could be made (EMFILE)
  base::Counter turned_to_splice;     // passthrough.splice auto: directions that began splicing
  base::Counter turned_to_copy;       // ... and that went back to copying
  base::LatencyHistogram connect_latency;               // successful connects
  std::array<base::Counter, kCloseReasonCount> closed;  // by reason

  base::Counter& closed_by(CloseReason reason) { return closed[static_cast<std::size_t>(reason)]; }
};

struct StatsSnapshot {
  uint64_t accepted = 0;
  uint64_t active = 0;
  uint64_t accept_errors = 0;
  uint64_t hellos_parsed = 0;
  uint64_t connect_attempts = 0;
  uint64_t connect_failures = 0;
  uint64_t first_byte_timeouts = 0;
  uint64_t ejections = 0;
  uint64_t bytes_from_client = 0;
  uint64_t bytes_from_upstream = 0;
  uint64_t splice_fallbacks = 0;
  uint64_t turned_to_splice = 0;
  uint64_t turned_to_copy = 0;
  base::HistogramSnapshot connect_latency;
  std::array<uint64_t, kCloseReasonCount> closed{};

  uint64_t closed_by(CloseReason reason) const { return closed[static_cast<std::size_t>(reason)]; }
  uint64_t closed_total() const;
  StatsSnapshot& operator+=(const StatsSnapshot& other);
};

StatsSnapshot snapshot_of(const PassthroughStats& stats);

// Per route (cluster name), on one worker.
struct RouteStats {
  base::Counter opened;  // connections routed here (whether or not the connect succeeded)
  base::Counter active;
  base::Counter bytes_from_client;
  base::Counter bytes_from_upstream;
};

struct RouteStatsSnapshot {
  uint64_t opened = 0;
  uint64_t active = 0;
  uint64_t bytes_from_client = 0;
  uint64_t bytes_from_upstream = 0;
  RouteStatsSnapshot& operator+=(const RouteStatsSnapshot& other);
};

// Route name -> counters, one table per worker. The owning thread looks up
// without a lock (it is the only one that inserts) and inserts under the
// mutex; collect() on any thread reads under it. Bounded: past kMaxRoutes
// distinct routes, new ones share the counters of kOverflowRoute.
class RouteStatsTable {
 public:
  static constexpr std::size_t kMaxRoutes = 10'000;
  static constexpr std::string_view kOverflowRoute = "other";

  RouteStats& get(std::string_view route);  // owning thread only
  void collect(std::map<std::string, RouteStatsSnapshot, std::less<>>& into) const;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::unique_ptr<RouteStats>, Hash, std::equal_to<>> routes_;
};

}  // namespace meshgate::gateway
