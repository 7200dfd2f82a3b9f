#include "gateway/gateway.h"

#include <spdlog/spdlog.h>

#include <mutex>
#include <system_error>
#include <thread>

namespace meshgate::gateway {

std::size_t workers_for(const config::Config& config) {
  if (config.workers > 0) return config.workers;
  return std::max(1u, std::thread::hardware_concurrency());
}

// Hands each new route table to every worker's own loop. The registry's
// subscription holds this, not the Gateway, and may outlive it: detach()
// makes later publishes reach nobody.
class Gateway::RoutePublisher {
 public:
  void attach(std::vector<Worker*> workers) {
    std::lock_guard lock(mutex_);
    workers_ = std::move(workers);
  }
  void detach() { attach({}); }
  void publish(RouteTablePtr table) {
    std::lock_guard lock(mutex_);
    latest_ = table;
    for (Worker* worker : workers_)
      worker->set_routes(table);
  }
  RouteTablePtr latest() const {
    std::lock_guard lock(mutex_);
    return latest_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Worker*> workers_;
  RouteTablePtr latest_;
};

Gateway::Gateway(std::shared_ptr<const config::Config> config, discovery::Registry& registry)
    : config_(std::move(config)),
      publisher_(std::make_shared<RoutePublisher>()),
      limit_(config_->limits.max_connections) {
  std::vector<Worker*> workers;
  for (std::size_t i = 0; i < workers_for(*config_); ++i) {
    workers_.push_back(std::make_unique<Worker>(config_, limit_));
    workers.push_back(workers_.back().get());
  }
  publisher_->attach(std::move(workers));
  const RouteOptions options{config_->network, config_->cluster_domain,
                             config_->passthrough.require_mtls_endpoints};
  registry.subscribe([publisher = publisher_, options](const discovery::SnapshotPtr& snapshot) {
    RouteTablePtr table = RouteTable::build(*snapshot, options);
    spdlog::info("routes: snapshot {} gives {} clusters", snapshot->version(),
                 table->cluster_count());
    publisher->publish(std::move(table));
  });
}

Gateway::~Gateway() {
  publisher_->detach();
  stop();
}

RouteTablePtr Gateway::routes() const {
  return publisher_->latest();
}

void Gateway::start() {
  boost::system::error_code ec;
  const auto& listener = config_->listeners.passthrough;
  const asio::ip::address address = asio::ip::make_address(listener.address, ec);
  if (ec) throw std::system_error(ec, "bad passthrough address '" + listener.address + "'");
  if (listener.port != 0) ensure_port_free({address, listener.port});
  // The first worker may bind port 0; the others join the port it got.
  bound_ = workers_.front()->listen({address, listener.port});
  for (std::size_t i = 1; i < workers_.size(); ++i)
    workers_[i]->listen(bound_);
  for (auto& worker : workers_)
    worker->start();
  spdlog::info("passthrough: listening on {}:{} with {} workers", bound_.address().to_string(),
               bound_.port(), workers_.size());
}

void Gateway::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& worker : workers_)
    worker->stop();
  for (auto& worker : workers_)
    worker->join();
}

StatsSnapshot Gateway::stats() const {
  std::vector<const PassthroughStats*> all;
  for (const auto& worker : workers_)
    all.push_back(&worker->stats());
  return sum(all);
}

}  // namespace meshgate::gateway
