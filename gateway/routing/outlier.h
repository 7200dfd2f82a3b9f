// Outlier ejection for one worker thread (no locks on the data path).
//
// Per endpoint, the owning thread counts connect failures in a row. When the
// run reaches `consecutive_failures`, the endpoint is ejected until
//   now + min(base_ejection x (times it was ejected before, plus one), max_ejection),
// its ejection count grows by one and its run starts again at zero.
// - While ejected, failures are ignored: they neither extend the ejection nor
//   count towards the next run. A success while ejected ends the ejection.
// - After the ejection ends the endpoint is tried again; a full new run ejects
//   it again, for longer (growing back-off).
// - A successful connect resets the run and the ejection count (the back-off
//   starts over) and forgets the endpoint.
// - The last endpoint of a cluster is never ejected: when the run is complete
//   but every OTHER endpoint of `cluster` is ejected at `now` (vacuously so
//   for a one-endpoint cluster), nothing is ejected and the run stays
//   complete, so the next failure after another endpoint is usable again
//   ejects at once.
// - consecutive_failures == 0 turns ejection off: nothing is counted, and
//   turning it off through set_settings ends every current ejection.
// Only troubled endpoints (failing, ejected, or ejected before and not yet
// successful since) are tracked, at most `max_tracked` of them. When that many
// are tracked, a new failing endpoint first sweeps out every state not ejected
// at `now` (losing partial runs and back-off memory); if all are ejected, the
// new endpoint is not tracked (never ejected) until the earliest ejection ends.
// Time is passed in, so tests need no clock.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>
#include <unordered_map>
#include <vector>

#include "base/asio.h"
#include "config/config.h"

namespace meshgate::gateway {

struct EjectedEndpoint {
  asio::ip::tcp::endpoint address;
  std::chrono::steady_clock::time_point until;
  uint32_t times_ejected = 0;
};

// Hash of address family, address bytes, IPv6 scope id and port.
struct EndpointHash {
  std::size_t operator()(const asio::ip::tcp::endpoint& endpoint) const noexcept;
};

class OutlierDetector {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kMaxTrackedEndpoints = 65'536;

  explicit OutlierDetector(config::Outlier settings,
                           std::size_t max_tracked = kMaxTrackedEndpoints);
  // Owning thread. Takes effect for the next failure or ejection; current
  // ejections keep their end, except that consecutive_failures == 0 ends them.
  void set_settings(config::Outlier settings);

  // Data path, the owning thread only.
  bool ejected(const asio::ip::tcp::endpoint& endpoint, Clock::time_point now) const;
  // `cluster` holds every endpoint of the cluster the connect was for;
  // `cluster_settings`, when not null, replace the detector's for this
  // failure (a cluster whose source sets its own: the threshold, and the
  // length of an ejection it causes). Returns true when this failure ejected
  // the endpoint.
  bool on_connect_failure(const asio::ip::tcp::endpoint& endpoint,
                          std::span<const asio::ip::tcp::endpoint> cluster, Clock::time_point now,
                          const config::Outlier* cluster_settings = nullptr);
  void on_connect_success(const asio::ip::tcp::endpoint& endpoint);

  // Any thread: endpoints ejected at `now` (sorted by address), and ejections so far.
  std::vector<EjectedEndpoint> ejected_endpoints(Clock::time_point now) const;
  uint64_t ejections_total() const;

 private:
  struct State {
    uint32_t failures = 0;                               // current run; saturates at the threshold
    uint32_t times_ejected = 0;                          // since the last success
    Clock::time_point until = Clock::time_point::min();  // ejected while until > now
  };
  using Endpoint = asio::ip::tcp::endpoint;

  State* find_or_track(const Endpoint& endpoint, Clock::time_point now);
  bool sweep(Clock::time_point now);
  bool others_all_ejected(const Endpoint& endpoint, std::span<const Endpoint> cluster,
                          Clock::time_point now) const;
  void eject(const Endpoint& endpoint, State& state, Clock::time_point now,
             const config::Outlier& settings);
  static Clock::time_point ejection_end(uint32_t times_ejected, Clock::time_point now,
                                        const config::Outlier& settings);

  // Owning thread only.
  config::Outlier settings_;
  std::size_t max_tracked_;
  std::unordered_map<Endpoint, State, EndpointHash> states_;
  Clock::time_point next_sweep_ = Clock::time_point::min();

  // Shared: one entry per tracked endpoint ejected at least once since its
  // last success; written by the owning thread on ejection and recovery.
  mutable std::mutex shared_mutex_;
  std::unordered_map<Endpoint, EjectedEndpoint, EndpointHash> shared_;
  std::atomic<uint64_t> ejections_total_{0};
};

}  // namespace meshgate::gateway
