// The passthrough gateway on 15443: a route table kept current from the
// registry, and one worker per thread, each accepting on the same port.
#pragma once

#include <memory>
#include <vector>

#include "config/config.h"
#include "discovery/registry.h"
#include "gateway/asio.h"
#include "gateway/stats.h"
#include "gateway/worker.h"
#include "gateway/worker_context.h"

namespace meshgate::gateway {

class Gateway {
 public:
  Gateway(std::shared_ptr<const config::Config> config, discovery::Registry& registry);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Binds the passthrough listener on every worker and starts them.
  // Start-up only: throws std::system_error naming the address on failure.
  void start();
  // Stops accepting, closes every connection, joins the workers. Idempotent.
  void stop();

  asio::ip::tcp::endpoint passthrough_endpoint() const { return bound_; }
  StatsSnapshot stats() const;
  // The newest route table handed to the workers (not a data-path call).
  RouteTablePtr routes() const;
  std::size_t worker_count() const { return workers_.size(); }

 private:
  std::shared_ptr<const config::Config> config_;
  class RoutePublisher;
  std::shared_ptr<RoutePublisher> publisher_;  // shared with the registry subscription
  ConnectionLimit limit_;
  std::vector<std::unique_ptr<Worker>> workers_;
  asio::ip::tcp::endpoint bound_;
  bool stopped_ = false;
};

// Workers to run: config.workers, or one per core when 0.
std::size_t workers_for(const config::Config& config);

}  // namespace meshgate::gateway
