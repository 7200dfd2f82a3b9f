// What every passthrough session on one worker thread shares: the immutable
// config, the current route table (a plain pointer: only this thread reads or
// replaces it), that worker's load balancer and counters, and the set of live
// sessions the worker closes on shutdown.
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
  WorkerContext(std::shared_ptr<const config::Config> cfg, ConnectionLimit& connection_limit)
      : config(std::move(cfg)),
        limit(connection_limit),
        balancer(config->passthrough.load_balancing) {}

  std::shared_ptr<const config::Config> config;
  RouteTablePtr routes;  // replaced on this thread when a snapshot is published
  ConnectionLimit& limit;
  LoadBalancer balancer;
  PassthroughStats stats;
  std::unordered_set<PassthroughSession*> sessions;  // live sessions, this thread only
};

}  // namespace meshgate::gateway
