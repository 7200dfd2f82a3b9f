// The TCP side of the gateway: 15443 (by SNI) and the istiod ports 15012 and
// 15017, each accepted by every worker on its own SO_REUSEPORT acceptor, with
// routes kept current from the registry.
#pragma once

#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/asio.h"
#include "config/config.h"
#include "discovery/registry.h"
#include "gateway/routing/listener_kind.h"
#include "gateway/routing/routes.h"
#include "gateway/stats.h"
#include "gateway/worker.h"
#include "gateway/worker_context.h"

namespace meshgate::gateway {

class Gateway {
 public:
  Gateway(ConfigPtr config, discovery::Registry& registry, AccessSinkPtr access_log = nullptr);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Binds every TCP listener on every worker and starts them.
  // Start-up only: throws std::system_error naming the address on failure.
  void start();
  // Closes the listeners; open connections go on. Idempotent.
  void stop_accepting();
  // Stops accepting, closes every connection with `reason`, joins the
  // workers. Idempotent.
  void stop(CloseReason reason = CloseReason::kShutdown);
  // A reload: new connections use `config` and `log`; listeners whose
  // address or port changed are bound anew (all new binds first, so a
  // failure throws std::system_error and changes nothing); open connections
  // are untouched. `workers` cannot change: the old count stays.
  void reconfigure(ConfigPtr config, AccessSinkPtr log);

  // Thread-safe; changes when a reload re-binds the listener.
  asio::ip::tcp::endpoint endpoint(ListenerKind kind) const {
    std::lock_guard lock(bound_mutex_);
    return bound_[index_of(kind)];
  }
  asio::ip::tcp::endpoint passthrough_endpoint() const {
    return endpoint(ListenerKind::kPassthrough);
  }
  StatsSnapshot stats(ListenerKind kind = ListenerKind::kPassthrough) const;
  std::map<std::string, RouteStatsSnapshot, std::less<>> route_stats() const;
  // Endpoints ejected on any worker at `now`, one entry per endpoint (the
  // longest ejection).
  std::vector<EjectedEndpoint> ejections(std::chrono::steady_clock::time_point now) const;
  // The newest routes handed to the workers (not a data-path call).
  RoutesPtr routes() const { return publisher_->latest(); }
  RoutePublisher& publisher() { return *publisher_; }
  uint32_t open_connections() const { return admission_.open(); }
  // Thread-safe: the descriptor budget and what the data path holds of it.
  uint64_t descriptor_budget() const { return admission_.descriptor_budget(); }
  uint64_t descriptors_in_use() const { return admission_.descriptors_in_use(); }
  uint64_t effective_max_connections() const { return admission_.effective_max_connections(); }
  // Thread-safe. The oldest registry snapshot version any worker routes with.
  uint64_t applied_snapshot() const;
  std::size_t worker_count() const { return workers_.size(); }

 private:
  // The TCP listeners' bound sockets, for the target guard.
  std::vector<TargetGuard::Socket> bound_sockets() const;
  // Binds `kind` at `at` on every worker; returns the bound endpoint.
  asio::ip::tcp::endpoint bind(ListenerKind kind, const config::Listener& at,
                               std::vector<asio::ip::tcp::acceptor>& acceptors);

  ConfigPtr config_;
  std::shared_ptr<RoutePublisher> publisher_;  // shared with the registry subscription
  Admission admission_;                        // connections, per client, descriptors
  std::vector<std::unique_ptr<Worker>> workers_;
  mutable std::mutex bound_mutex_;  // guards bound_ against readers on other threads
  std::array<asio::ip::tcp::endpoint, kListenerKindCount> bound_;
  bool started_ = false;
  bool stopped_ = false;
};

// Workers to run: config.workers, or one per core when 0.
std::size_t workers_for(const config::Config& config);

// The config's listener for a TCP listener kind.
const config::Listener& listener_config(const config::Config& config, ListenerKind kind);

// What routes are built with: the network, cluster domain, mTLS rule and the
// endpoints never dialled (make_target_guard(), with the sockets `bound`).
RouteOptions route_options(const config::Config& config,
                           std::span<const TargetGuard::Socket> bound = {});

// True if a listener bound at `bound` already is what `wanted` asks for: the
// same address, and the same port or port 0 (any). A reload then keeps the
// socket: rebinding the same address and port would reset the connections
// still queued on the old socket when it closes.
bool already_bound(const config::Listener& wanted, const asio::ip::tcp::endpoint& bound);

// The endpoint a listener's config names. Validation already refused a
// non-IP address; should one come anyway, throws std::system_error
// "bad <name> address '...'".
asio::ip::tcp::endpoint listener_endpoint(const config::Listener& listener, std::string_view name);

}  // namespace meshgate::gateway
