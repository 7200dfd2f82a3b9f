#include "gateway/routing/routes.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "gateway/routing/service_cluster.h"

namespace meshgate::gateway {

std::string upstream_cluster_name(const config::Upstream& upstream) {
  return "outbound|" + std::to_string(upstream.port) + "||" + upstream.host;
}

std::optional<Cluster> upstream_from_registry(const discovery::Snapshot& snapshot,
                                              const config::Upstream& upstream,
                                              std::string_view network,
                                              std::string_view cluster_domain) {
  // Unguarded here: RoutePublisher::set_upstream() applies the guard.
  const RouteOptions options{std::string(network), std::string(cluster_domain), false, {}};
  for (const std::string& host :
       {upstream.host, upstream.host + "." + std::string(cluster_domain)}) {
    const discovery::Service* service = service_for_host(snapshot, host, cluster_domain);
    if (service == nullptr) continue;
    // The route table keeps the last of several ports with one number.
    const auto port = std::find_if(service->ports.rbegin(), service->ports.rend(),
                                   [&](const auto& p) { return p.number == upstream.port; });
    if (port == service->ports.rend()) continue;
    Cluster cluster = service_cluster(*service, discovery::service_host(*service, cluster_domain),
                                      *port, nullptr, options);
    if (!cluster.endpoints.empty()) return cluster;
  }
  return std::nullopt;
}

ClusterPtr guarded(const Cluster& cluster, const TargetGuard& targets) {
  auto out = std::make_shared<Cluster>(Cluster{cluster.name, {}, cluster.refused, cluster.policy});
  for (const UpstreamEndpoint& endpoint : cluster.endpoints) {
    const TargetRefusal refusal = targets.check(endpoint.address);
    if (refusal == TargetRefusal::kNone) {
      out->endpoints.push_back(endpoint);
    } else {
      ++out->refused[static_cast<std::size_t>(refusal)];
    }
  }
  return out;
}

Cluster upstream_from_addresses(const config::Upstream& upstream,
                                const std::vector<asio::ip::tcp::endpoint>& addresses) {
  Cluster cluster{upstream_cluster_name(upstream), {}};
  for (const asio::ip::tcp::endpoint& address : addresses) {
    const UpstreamEndpoint endpoint{address, 1};
    if (std::find(cluster.endpoints.begin(), cluster.endpoints.end(), endpoint) ==
        cluster.endpoints.end()) {
      cluster.endpoints.push_back(endpoint);
    }
  }
  return cluster;
}

void RoutePublisher::attach(std::vector<RouteSubscriber> subscribers) {
  std::lock_guard lock(mutex_);
  subscribers_ = std::move(subscribers);
  for (const RouteSubscriber& subscriber : subscribers_)
    subscriber(latest_);
}

void RoutePublisher::set_snapshot(discovery::SnapshotPtr snapshot) {
  std::lock_guard lock(mutex_);
  snapshot_ = std::move(snapshot);
  rebuild_locked();
}

RoutePublisher::RoutePublisher(RouteOptions options) : options_(std::move(options)) {
  if (!options_.limits) options_.limits = std::make_shared<ClusterLimits>();
}

void RoutePublisher::set_options(RouteOptions options) {
  std::lock_guard lock(mutex_);
  // The counts of open connections outlive every table built here.
  if (!options.limits) options.limits = options_.limits;
  if (options == options_) return;
  const bool guard_changed = !(options.targets == options_.targets);
  options_ = std::move(options);
  if (guard_changed) {
    for (std::size_t i = 0; i < kListenerKindCount; ++i) {
      next_.upstreams[i] =
          raw_upstreams_[i] ? guarded(*raw_upstreams_[i], options_.targets) : nullptr;
    }
  }
  if (snapshot_) {
    rebuild_locked();
  } else if (guard_changed) {
    publish_locked();
  }
}

void RoutePublisher::rebuild_locked() {
  next_.table = RouteTable::build(*snapshot_, options_, next_.table.get());
  spdlog::info("routes: snapshot {} gives {} clusters", snapshot_->version(),
               next_.table->cluster_count());
  const uint64_t refused =
      next_.table->refused(TargetRefusal::kLoopback) + next_.table->refused(TargetRefusal::kSelf);
  if (refused != last_refused_) {
    last_refused_ = refused;
    std::string examples;
    for (const std::string& example : next_.table->refused_examples())
      examples += (examples.empty() ? "" : "; ") + example;
    if (refused > 0) {
      spdlog::warn(
          "routes: {} endpoint(s) never dialled (self: the gateway's own listener; loopback: a "
          "loopback, link-local or unspecified address while "
          "passthrough.allow_loopback_endpoints is off), e.g. {}",
          refused, examples);
    }
  }
  publish_locked();
}

void RoutePublisher::set_upstream(ListenerKind kind, ClusterPtr cluster) {
  std::lock_guard lock(mutex_);
  raw_upstreams_[index_of(kind)] = cluster;
  next_.upstreams[index_of(kind)] = cluster ? guarded(*cluster, options_.targets) : nullptr;
  publish_locked();
}

RoutesPtr RoutePublisher::latest() const {
  std::lock_guard lock(mutex_);
  return latest_;
}

void RoutePublisher::publish_locked() {
  ++next_.version;
  latest_ = std::make_shared<const Routes>(next_);
  for (const RouteSubscriber& subscriber : subscribers_)
    subscriber(latest_);
}

}  // namespace meshgate::gateway
