// What every passthrough session on one worker thread shares: the immutable
// config, the current route table, that worker's load balancer and counters,
// and the set of live sessions the worker closes on shutdown.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <unordered_set>

#include "config/config.h"
#include "gateway/load_balancer.h"
#include "gateway/route_table.h"
#include "gateway/stats.h"

namespace meshgate::gateway {

class PassthroughSession;

// The route table the registry subscription keeps current; one per gateway,
// read by every worker with one atomic load per connection.
class RouteSource {
 public:
  RouteTablePtr load() const { return table_.load(std::memory_order_acquire); }
  void store(RouteTablePtr table) { table_.store(std::move(table), std::memory_order_release); }

 private:
  std::atomic<RouteTablePtr> table_;
};

// Connections open across all workers, against limits.max_connections.
class ConnectionLimit {
 public:
  explicit ConnectionLimit(uint32_t max) : max_(max) {}
  bool try_acquire() {
    uint32_t open = open_.load(std::memory_order_relaxed);
    do {
      if (open >= max_) return false;
    } while (!open_.compare_exchange_weak(open, open + 1, std::memory_order_relaxed));
    return true;
  }
  void release() { open_.fetch_sub(1, std::memory_order_relaxed); }
  uint32_t open() const { return open_.load(std::memory_order_relaxed); }

 private:
  const uint32_t max_;
  std::atomic<uint32_t> open_{0};
};

struct WorkerContext {
  WorkerContext(std::shared_ptr<const config::Config> cfg, const RouteSource& route_source,
                ConnectionLimit& connection_limit)
      : config(std::move(cfg)),
        routes(route_source),
        limit(connection_limit),
        balancer(config->passthrough.load_balancing) {}

  std::shared_ptr<const config::Config> config;
  const RouteSource& routes;
  ConnectionLimit& limit;
  LoadBalancer balancer;
  PassthroughStats stats;
  std::unordered_set<PassthroughSession*> sessions;  // live sessions, this thread only
};

}  // namespace meshgate::gateway
