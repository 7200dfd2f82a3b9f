#include "gateway/gateway.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <system_error>
#include <thread>

#include "gateway/descriptor_budget.h"

namespace meshgate::gateway {
std::size_t workers_for(const config::Config& config) {
  if (config.workers > 0) return config.workers;
  return std::max(1u, std::thread::hardware_concurrency());
}

const config::Listener& listener_config(const config::Config& config, ListenerKind kind) {
  switch (kind) {
    case ListenerKind::kIstiod:
      return config.listeners.istiod;
    case ListenerKind::kWebhook:
      return config.listeners.webhook;
    case ListenerKind::kPassthrough:
      break;
  }
  return config.listeners.passthrough;
}

std::vector<TargetGuard::Socket> Gateway::bound_sockets() const {
  std::lock_guard lock(bound_mutex_);
  std::vector<TargetGuard::Socket> out;
  for (const asio::ip::tcp::endpoint& at : bound_)
    out.push_back({at.address(), at.port()});
  return out;
}

bool already_bound(const config::Listener& wanted, const asio::ip::tcp::endpoint& bound) {
  boost::system::error_code ec;
  const asio::ip::address address = asio::ip::make_address(wanted.address, ec);
  return !ec && address == bound.address() && (wanted.port == 0 || wanted.port == bound.port());
}

asio::ip::tcp::endpoint listener_endpoint(const config::Listener& listener, std::string_view name) {
  boost::system::error_code ec;
  const asio::ip::address address = asio::ip::make_address(listener.address, ec);
  if (ec) {
    throw std::system_error(ec, "bad " + std::string(name) + " address '" + listener.address + "'");
  }
  return {address, listener.port};
}

RouteOptions route_options(const config::Config& config,
                           std::span<const TargetGuard::Socket> bound) {
  return {config.network, config.cluster_domain, config.passthrough.require_mtls_endpoints,
          make_target_guard(config, bound)};
}

namespace {

// The data path's descriptor budget for `config`, said in the log.
uint64_t planned_budget(const config::Config& config) {
  const DescriptorPlan plan = plan_descriptors(config, workers_for(config), descriptor_limit());
  const uint64_t connections = plan.budget / Admission::kDescriptorsPerConnection;
  if (connections < config.limits.max_connections) {
    spdlog::warn("{}; connections past that are refused as no_descriptors",
                 describe(plan, config.limits.max_connections));
  } else {
    spdlog::info("{}", describe(plan, config.limits.max_connections));
  }
  return plan.budget;
}

}  // namespace

Gateway::Gateway(ConfigPtr config, discovery::Registry& registry, AccessSinkPtr access_log)
    : config_(std::move(config)),
      publisher_(std::make_shared<RoutePublisher>(route_options(*config_))),
      admission_(config_->limits.max_connections, config_->limits.max_connections_per_client,
                 planned_budget(*config_)) {
  std::vector<RouteSubscriber> subscribers;
  for (std::size_t i = 0; i < workers_for(*config_); ++i) {
    workers_.push_back(std::make_unique<Worker>(config_, admission_));
    workers_.back()->set_config(config_, access_log);
    subscribers.push_back(
        [worker = workers_.back().get()](const RoutesPtr& routes) { worker->set_routes(routes); });
  }
  publisher_->attach(std::move(subscribers));
  registry.subscribe([publisher = publisher_](const discovery::SnapshotPtr& snapshot) {
    publisher->set_snapshot(snapshot);
  });
}

Gateway::~Gateway() {
  publisher_->detach();
  stop();
}

asio::ip::tcp::endpoint Gateway::bind(ListenerKind kind, const config::Listener& at,
                                      std::vector<asio::ip::tcp::acceptor>& acceptors) {
  const asio::ip::tcp::endpoint wanted = listener_endpoint(at, to_string(kind));
  const bool same_port = started_ && at.port == bound_[index_of(kind)].port();
  if (at.port != 0 && !same_port) ensure_port_free(wanted);
  // The first worker may bind port 0; the others join the port it got.
  acceptors.push_back(open_acceptor(workers_.front()->io(), wanted, config_->tcp_keepalive));
  boost::system::error_code ec;
  const asio::ip::tcp::endpoint bound = acceptors.front().local_endpoint(ec);
  if (ec) throw std::system_error(ec, "cannot read the address of a new listener");
  for (std::size_t i = 1; i < workers_.size(); ++i)
    acceptors.push_back(open_acceptor(workers_[i]->io(), bound, config_->tcp_keepalive));
  return bound;
}

void Gateway::start() {
  std::array<std::vector<asio::ip::tcp::acceptor>, kListenerKindCount> acceptors;
  std::array<asio::ip::tcp::endpoint, kListenerKindCount> bound;
  for (ListenerKind kind : kAllListenerKinds)
    bound[index_of(kind)] = bind(kind, listener_config(*config_, kind), acceptors[index_of(kind)]);
  for (ListenerKind kind : kAllListenerKinds) {
    {
      std::lock_guard lock(bound_mutex_);
      bound_[index_of(kind)] = bound[index_of(kind)];
    }
    for (std::size_t i = 0; i < workers_.size(); ++i)
      workers_[i]->adopt(kind, std::move(acceptors[index_of(kind)][i]));
    spdlog::info("{}: listening on {}:{} with {} workers", to_string(kind),
                 bound_[index_of(kind)].address().to_string(), bound_[index_of(kind)].port(),
                 workers_.size());
  }
  publisher_->set_options(route_options(*config_, bound_sockets()));
  for (auto& worker : workers_)
    worker->start();
  started_ = true;
}

void Gateway::reconfigure(ConfigPtr config, AccessSinkPtr log) {
  std::array<std::vector<asio::ip::tcp::acceptor>, kListenerKindCount> acceptors;
  std::array<asio::ip::tcp::endpoint, kListenerKindCount> bound = bound_;
  for (ListenerKind kind : kAllListenerKinds) {
    const config::Listener& wanted = listener_config(*config, kind);
    if (wanted == listener_config(*config_, kind)) continue;
    if (already_bound(wanted, bound_[index_of(kind)])) continue;
    bound[index_of(kind)] = bind(kind, wanted, acceptors[index_of(kind)]);
  }
  for (ListenerKind kind : kAllListenerKinds) {
    if (acceptors[index_of(kind)].empty()) continue;
    for (std::size_t i = 0; i < workers_.size(); ++i)
      workers_[i]->adopt(kind, std::move(acceptors[index_of(kind)][i]));
    spdlog::info("{}: now listening on {}:{}", to_string(kind),
                 bound[index_of(kind)].address().to_string(), bound[index_of(kind)].port());
  }
  {
    std::lock_guard lock(bound_mutex_);
    bound_ = bound;
  }
  if (workers_for(*config) != workers_.size()) {
    spdlog::warn("reload: workers stays {}; a new count needs a restart", workers_.size());
  }
  for (auto& worker : workers_)
    worker->set_config(config, log);
  admission_.set_limits(config->limits.max_connections, config->limits.max_connections_per_client);
  if (reserved_descriptors(*config, workers_.size()) !=
      reserved_descriptors(*config_, workers_.size())) {
    admission_.set_descriptor_budget(planned_budget(*config));
  }
  publisher_->set_options(route_options(*config, bound_sockets()));
  config_ = std::move(config);
}

void Gateway::stop_accepting() {
  for (auto& worker : workers_)
    worker->stop_accepting();
}

void Gateway::stop(CloseReason reason) {
  if (stopped_) return;
  stopped_ = true;
  for (auto& worker : workers_)
    worker->stop(reason);
  for (auto& worker : workers_)
    worker->join();
}

StatsSnapshot Gateway::stats(ListenerKind kind) const {
  StatsSnapshot total;
  for (const auto& worker : workers_)
    total += snapshot_of(worker->stats(kind));
  return total;
}

uint64_t Gateway::applied_snapshot() const {
  uint64_t oldest = UINT64_MAX;
  for (const auto& worker : workers_)
    oldest = std::min(oldest, worker->applied_snapshot());
  return oldest;
}

std::map<std::string, RouteStatsSnapshot, std::less<>> Gateway::route_stats() const {
  std::map<std::string, RouteStatsSnapshot, std::less<>> all;
  for (const auto& worker : workers_)
    worker->route_stats().collect(all);
  return all;
}

std::vector<EjectedEndpoint> Gateway::ejections(std::chrono::steady_clock::time_point now) const {
  std::vector<EjectedEndpoint> all;
  for (const auto& worker : workers_) {
    for (const EjectedEndpoint& ejected : worker->outliers().ejected_endpoints(now)) {
      auto it = std::find_if(all.begin(), all.end(),
                             [&](const auto& e) { return e.address == ejected.address; });
      if (it == all.end()) {
        all.push_back(ejected);
      } else if (ejected.until > it->until) {
        *it = ejected;
      }
    }
  }
  return all;
}

}  // namespace meshgate::gateway
