#include "gateway/routing/route_table.h"

#include <spdlog/spdlog.h>

#include "gateway/routing/service_cluster.h"

namespace meshgate::gateway {

std::shared_ptr<const RouteTable> RouteTable::build(const discovery::Snapshot& snapshot,
                                                    const RouteOptions& options) {
  auto table = std::make_shared<RouteTable>();
  table->options_ = options;
  table->version_ = snapshot.version();
  for (const discovery::Service& service : snapshot.services())
    table->add_service(service);
  for (const discovery::HostAlias& alias : snapshot.aliases()) {
    if (alias.service_name.empty() || alias.host.starts_with("*.")) continue;
    const std::string target =
        canonical_host(alias.service_name, alias.service_namespace, options.cluster_domain);
    auto it = table->hosts_.find(target);
    if (it != table->hosts_.end()) table->hosts_.try_emplace(alias.host, it->second);
  }
  return table;
}

void RouteTable::add_service(const discovery::Service& service) {
  HostRoutes& routes = services_.emplace_back();
  const std::string host = discovery::service_host(service, options_.cluster_domain);
  for (const discovery::ServicePort& port : service.ports) {
    PortRoutes& port_routes = routes.ports[port.number];
    port_routes.all = add_cluster(service, host, port, nullptr);
    for (const discovery::Subset& subset : service.subsets) {
      port_routes.subsets.emplace(subset.name, add_cluster(service, host, port, &subset));
    }
  }
  if (!hosts_.try_emplace(host, &routes).second) {
    spdlog::warn("routes: host {} is defined twice; keeping the first", host);
  }
  for (const std::string& extra : service.hostnames)
    hosts_.try_emplace(extra, &routes);
}

const Cluster* RouteTable::add_cluster(const discovery::Service& service, const std::string& host,
                                       const discovery::ServicePort& port,
                                       const discovery::Subset* subset) {
  RefusalNote note;  // each endpoint once: the subsets' clusters repeat them
  if (subset == nullptr) {
    note = [&](const asio::ip::tcp::endpoint& target, TargetRefusal refusal) {
      note_refused(target, service, refusal);
    };
  }
  return &clusters_.emplace_back(service_cluster(service, host, port, subset, options_, note));
}

void RouteTable::note_refused(const asio::ip::tcp::endpoint& target,
                              const discovery::Service& service, TargetRefusal refusal) {
  ++refused_[static_cast<std::size_t>(refusal)];
  if (refused_examples_.size() >= kRefusedExamples) return;
  refused_examples_.push_back(target.address().to_string() + ":" + std::to_string(target.port()) +
                              " of " + service.name + "." + service.ns + ": " + to_string(refusal));
}

const RouteTable::HostRoutes* RouteTable::find_host(std::string_view host) const {
  auto it = hosts_.find(host);
  if (it != hosts_.end()) return it->second;
  const std::string rewritten = sni::rewrite_global(host, options_.cluster_domain);
  if (rewritten == host) return nullptr;
  it = hosts_.find(rewritten);
  return it == hosts_.end() ? nullptr : it->second;
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
