#include "gateway/stats.h"

namespace meshgate::gateway {

uint64_t StatsSnapshot::closed_total() const {
  uint64_t total = 0;
  for (uint64_t n : closed)
    total += n;
  return total;
}

StatsSnapshot& StatsSnapshot::operator+=(const StatsSnapshot& other) {
  accepted += other.accepted;
  active += other.active;
  accept_errors += other.accept_errors;
  hellos_parsed += other.hellos_parsed;
  connect_attempts += other.connect_attempts;
  connect_failures += other.connect_failures;
  first_byte_timeouts += other.first_byte_timeouts;
  ejections += other.ejections;
  bytes_from_client += other.bytes_from_client;
  bytes_from_upstream += other.bytes_from_upstream;
  splice_fallbacks += other.splice_fallbacks;
  turned_to_splice += other.turned_to_splice;
  turned_to_copy += other.turned_to_copy;
  connect_latency += other.connect_latency;
  for (std::size_t i = 0; i < kCloseReasonCount; ++i)
    closed[i] += other.closed[i];
  return *this;
}

StatsSnapshot snapshot_of(const PassthroughStats& stats) {
  StatsSnapshot out;
  out.accepted = stats.accepted.get();
  out.active = stats.active.get();
  out.accept_errors = stats.accept_errors.get();
  out.hellos_parsed = stats.hellos_parsed.get();
  out.connect_attempts = stats.connect_attempts.get();
  out.connect_failures = stats.connect_failures.get();
  out.first_byte_timeouts = stats.first_byte_timeouts.get();
  out.ejections = stats.ejections.get();
  out.bytes_from_client = stats.bytes_from_client.get();
  out.bytes_from_upstream = stats.bytes_from_upstream.get();
  out.splice_fallbacks = stats.splice_fallbacks.get();
  out.turned_to_splice = stats.turned_to_splice.get();
  out.turned_to_copy = stats.turned_to_copy.get();
  out.connect_latency = stats.connect_latency.snapshot();
  for (std::size_t i = 0; i < kCloseReasonCount; ++i)
    out.closed[i] = stats.closed[i].get();
  return out;
}

RouteStatsSnapshot& RouteStatsSnapshot::operator+=(const RouteStatsSnapshot& other) {
  opened += other.opened;
  active += other.active;
  bytes_from_client += other.bytes_from_client;
  bytes_from_upstream += other.bytes_from_upstream;
  return *this;
}

RouteStats& RouteStatsTable::get(std::string_view route) {
  if (auto it = routes_.find(route); it != routes_.end()) return *it->second;
  if (routes_.size() >= kMaxRoutes) route = kOverflowRoute;
  std::lock_guard lock(mutex_);
  auto& slot = routes_[std::string(route)];
  if (!slot) slot = std::make_unique<RouteStats>();
  return *slot;
}

void RouteStatsTable::collect(std::map<std::string, RouteStatsSnapshot, std::less<>>& into) const {
  std::lock_guard lock(mutex_);
  for (const auto& [name, stats] : routes_) {
    RouteStatsSnapshot& total = into[name];
    total.opened += stats->opened.get();
    total.active += stats->active.get();
    total.bytes_from_client += stats->bytes_from_client.get();
    total.bytes_from_upstream += stats->bytes_from_upstream.get();
  }
}

}  // namespace meshgate::gateway
