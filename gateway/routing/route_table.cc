#include "gateway/routing/route_table.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "gateway/routing/service_cluster.h"

namespace meshgate::gateway {

struct RouteTable::ServiceRoutes {
  discovery::ServicePtr service;  // held: its address identifies it while shared
  std::string host;
  HostRoutes routes;
  std::deque<Cluster> clusters;  // stable addresses
  std::array<uint64_t, 3> refused{};
  std::vector<std::string> refused_examples;
};

std::shared_ptr<const RouteTable> RouteTable::build(const discovery::Snapshot& snapshot,
                                                    const RouteOptions& options,
                                                    const RouteTable* previous) {
  auto table = std::make_shared<RouteTable>();
  table->options_ = options;
  table->version_ = snapshot.version();
  table->aliases_ = snapshot.shared_aliases();
  if (previous != nullptr && !(previous->options_ == options)) previous = nullptr;
  std::vector<const ServiceRoutes*> fresh, gone;
  table->collect(snapshot, previous, fresh, gone);
  table->count_services();
  const bool patchable =
      previous != nullptr && !previous->entangled_ && previous->aliases_ == table->aliases_;
  if (patchable) table->alias_targets_ = previous->alias_targets_;
  table->index_patched_ = patchable && table->patch(*previous, fresh, gone);
  if (!table->index_patched_) table->index_all();
  return table;
}

void RouteTable::collect(const discovery::Snapshot& snapshot, const RouteTable* previous,
                         std::vector<const ServiceRoutes*>& fresh,
                         std::vector<const ServiceRoutes*>& gone) {
  const auto& services = snapshot.services().pointers();
  services_.reserve(services.size());
  const std::vector<ServiceRoutesPtr> none;
  const std::vector<ServiceRoutesPtr>& before = previous ? previous->services_ : none;
  auto lent = before.begin();
  for (const discovery::ServicePtr& service : services) {
    // Both lists are in key order: walk them side by side.
    while (lent != before.end() && discovery::key_less(*(*lent)->service, *service))
      gone.push_back((lent++)->get());
    if (lent != before.end() && (*lent)->service == service) {
      services_.push_back(*lent++);
      continue;
    }
    if (lent != before.end() && !discovery::key_less(*service, *(*lent)->service)) {
      gone.push_back((lent++)->get());  // the same key, changed
    }
    services_.push_back(build_service(service, options_));
    fresh.push_back(services_.back().get());
    ++services_built_;
  }
  for (; lent != before.end(); ++lent)
    gone.push_back(lent->get());
}

void RouteTable::count_services() {
  for (const ServiceRoutesPtr& routes : services_) {
    cluster_count_ += routes->clusters.size();
    for (std::size_t i = 0; i < refused_.size(); ++i)
      refused_[i] += routes->refused[i];
    for (const std::string& example : routes->refused_examples) {
      if (refused_examples_.size() < kRefusedExamples) refused_examples_.push_back(example);
    }
  }
}

// Services claim hosts in snapshot order (the first keeps one), then each
// alias routes where its service's host does.
void RouteTable::index_all() {
  hosts_ = HostIndex<HostRoutes>();
  entangled_ = false;
  for (const ServiceRoutesPtr& routes : services_) {
    if (!hosts_.insert(routes->host, &routes->routes)) {
      spdlog::warn("routes: host {} is defined twice; keeping the first", routes->host);
      entangled_ = true;
    }
    for (const std::string& extra : routes->service->hostnames)
      entangled_ |= !extra.empty() && !hosts_.insert(extra, &routes->routes);
  }
  auto targets = std::make_shared<AliasTargets>();
  for (const discovery::HostAlias& alias : *aliases_) {
    if (alias.service_name.empty() || alias.host.starts_with("*.")) continue;
    std::string target =
        canonical_host(alias.service_name, alias.service_namespace, options_.cluster_domain);
    if (const HostRoutes* routes = hosts_.find(target)) {
      entangled_ |= !hosts_.insert(alias.host, routes);
    }
    (*targets)[std::move(target)].push_back(alias.host);
  }
  const auto host_less = [](const discovery::HostAlias& a, std::string_view host) {
    return a.host < host;
  };
  for (const auto& [target, aliases] : *targets) {
    // An alias to an alias's host: which routes it gets depends on order.
    auto it = std::lower_bound(aliases_->begin(), aliases_->end(), target, host_less);
    entangled_ |= it != aliases_->end() && it->host == target;
  }
  alias_targets_ = std::move(targets);
}

template <typename Fn>
void RouteTable::each_alias_of(const ServiceRoutes& routes, Fn fn) const {
  if (!alias_targets_ || alias_targets_->empty()) return;
  const auto visit = [&](std::string_view host) {
    auto it = alias_targets_->find(host);
    if (it == alias_targets_->end()) return;
    for (std::string_view alias : it->second)
      fn(alias);
  };
  visit(routes.host);
  for (const std::string& extra : routes.service->hostnames)
    visit(extra);
}

bool RouteTable::patch(const RouteTable& previous, const std::vector<const ServiceRoutes*>& fresh,
                       const std::vector<const ServiceRoutes*>& gone) {
  hosts_ = previous.hosts_;
  for (const ServiceRoutes* routes : gone) {
    hosts_.erase(routes->host, &routes->routes);
    for (const std::string& extra : routes->service->hostnames)
      hosts_.erase(extra, &routes->routes);
    each_alias_of(*routes, [&](std::string_view alias) { hosts_.erase(alias, &routes->routes); });
  }
  bool clean = true;
  for (const ServiceRoutes* routes : fresh) {
    clean &= hosts_.insert(routes->host, &routes->routes);
    for (const std::string& extra : routes->service->hostnames)
      clean &= extra.empty() || hosts_.insert(extra, &routes->routes);
    each_alias_of(*routes,
                  [&](std::string_view alias) { clean &= hosts_.insert(alias, &routes->routes); });
  }
  return clean;
}

RouteTable::ServiceRoutesPtr RouteTable::build_service(const discovery::ServicePtr& service,
                                                       const RouteOptions& options) {
  auto out = std::make_shared<ServiceRoutes>();
  out->service = service;
  out->host = discovery::service_host(*service, options.cluster_domain);
  // Each endpoint once: the subsets' clusters repeat the whole port's.
  const RefusalNote note = [&](const asio::ip::tcp::endpoint& target, TargetRefusal refusal) {
    ++out->refused[static_cast<std::size_t>(refusal)];
    if (out->refused_examples.size() >= kRefusedExamples) return;
    out->refused_examples.push_back(target.address().to_string() + ":" +
                                    std::to_string(target.port()) + " of " + service->name + "." +
                                    service->ns + ": " + to_string(refusal));
  };
  for (const discovery::ServicePort& port : service->ports) {
    PortRoutes& port_routes = out->routes.ports[port.number];
    port_routes.all = &out->clusters.emplace_back(
        service_cluster(*service, out->host, port, nullptr, options, note));
    for (const discovery::Subset& subset : service->subsets) {
      port_routes.subsets.emplace(subset.name, &out->clusters.emplace_back(service_cluster(
                                                   *service, out->host, port, &subset, options)));
    }
  }
  return out;
}

std::vector<const Cluster*> RouteTable::clusters() const {
  std::vector<const Cluster*> all;
  all.reserve(cluster_count_);
  for (const ServiceRoutesPtr& service : services_) {
    for (const Cluster& cluster : service->clusters)
      all.push_back(&cluster);
  }
  return all;
}
const RouteTable::HostRoutes* RouteTable::find_host(std::string_view host) const {
  if (const HostRoutes* routes = hosts_.find(host)) return routes;
  const std::string rewritten = sni::rewrite_global(host, options_.cluster_domain);
  if (rewritten == host) return nullptr;
  return hosts_.find(rewritten);
}

RouteLookup RouteTable::find(const sni::IstioName& name) const {
  const HostRoutes* host = find_host(name.host);
  if (host == nullptr) return {nullptr, RouteMiss::kUnknownService, "unknown host"};
  const PortRoutes* port = nullptr;
  if (name.port) {
    auto it = host->ports.find(*name.port);
    if (it == host->ports.end()) return {nullptr, RouteMiss::kUnknownService, "unknown port"};
    port = &it->second;
  } else if (host->ports.size() == 1) {
    port = &host->ports.begin()->second;
  } else {
    return {nullptr, RouteMiss::kUnknownService, "plain host name with several ports"};
  }
  const Cluster* cluster = port->all;
  if (!name.subset.empty()) {
    auto it = port->subsets.find(name.subset);
    if (it == port->subsets.end()) return {nullptr, RouteMiss::kUnknownService, "unknown subset"};
    cluster = it->second;
  }
  if (cluster->endpoints.empty()) return {nullptr, RouteMiss::kNoEndpoint, "no usable endpoint"};
  return {cluster, std::nullopt, ""};
}

}  // namespace meshgate::gateway
