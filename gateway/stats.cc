#include "gateway/stats.h"

namespace meshgate::gateway {

StatsSnapshot sum(std::span<const PassthroughStats* const> workers) {
  StatsSnapshot total;
  for (const PassthroughStats* stats : workers) {
    total.accepted += stats->accepted.get();
    total.active += stats->active.get();
    total.accept_errors += stats->accept_errors.get();
    total.connect_attempts += stats->connect_attempts.get();
    total.connect_failures += stats->connect_failures.get();
    total.bytes_from_client += stats->bytes_from_client.get();
    total.bytes_from_upstream += stats->bytes_from_upstream.get();
    for (std::size_t i = 0; i < kCloseReasonCount; ++i)
      total.closed[i] += stats->closed[i].get();
  }
  return total;
}

}  // namespace meshgate::gateway
