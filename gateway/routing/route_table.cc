#include "gateway/routing/route_table.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace meshgate::gateway {
namespace {

std::string canonical_host(std::string_view name, std::string_view ns, std::string_view domain) {
  std::string host(name);
  host.append(".").append(ns).append(".svc.").append(domain);
  return host;
}

std::string cluster_name(uint16_t port, std::string_view subset, std::string_view fqdn) {
  std::string name = "outbound|" + std::to_string(port) + "|";
  name.append(subset).append("|").append(fqdn);
  return name;
}

// True when a DestinationRule's TLS mode leaves this cluster no endpoint
// (istiod: EndpointsWithMTLSFilter over mtls_checker's verdict).
bool plaintext(const discovery::Service& service, const discovery::ServicePort& port,
               const discovery::Subset* subset) {
  const discovery::PlaintextCluster wanted{port.number, subset ? subset->name : ""};
  return std::find(service.plaintext.begin(), service.plaintext.end(), wanted) !=
         service.plaintext.end();
}

}  // namespace

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
  Cluster& cluster = clusters_.emplace_back();
  cluster.name = cluster_name(port.number, subset ? std::string_view(subset->name) : "", host);
  if (options_.require_mtls_endpoints && plaintext(service, port, subset)) return &cluster;
  for (const discovery::Endpoint& endpoint : service.endpoints) {
    if (!endpoint_usable(endpoint)) continue;
    if (subset != nullptr && !discovery::in_subset(endpoint, *subset)) continue;
    const std::optional<uint16_t> endpoint_port = discovery::endpoint_port(endpoint, port);
    if (!endpoint_port) continue;  // the endpoint does not serve this port
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(endpoint.address, ec);
    if (ec) continue;  // sources validate addresses; never dial a non-IP
    const asio::ip::tcp::endpoint target{address, *endpoint_port};
    const TargetRefusal refusal = options_.targets.check(target);
    if (refusal != TargetRefusal::kNone) {
      ++cluster.refused[static_cast<std::size_t>(refusal)];
      if (subset == nullptr) note_refused(target, service, refusal);
      continue;
    }
    cluster.endpoints.push_back({target, std::max<uint32_t>(1, endpoint.weight)});
  }
  return &cluster;
}

void RouteTable::note_refused(const asio::ip::tcp::endpoint& target,
                              const discovery::Service& service, TargetRefusal refusal) {
  ++refused_[static_cast<std::size_t>(refusal)];
  if (refused_examples_.size() >= kRefusedExamples) return;
  refused_examples_.push_back(target.address().to_string() + ":" + std::to_string(target.port()) +
                              " of " + service.name + "." + service.ns + ": " + to_string(refusal));
}

bool RouteTable::endpoint_usable(const discovery::Endpoint& endpoint) const {
  const bool local = endpoint.network.empty() || endpoint.network == options_.network;
  return local && (endpoint.mtls_capable || !options_.require_mtls_endpoints);
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
