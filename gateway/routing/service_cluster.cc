#include "gateway/routing/service_cluster.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "sni/istio_name.h"

namespace meshgate::gateway {
namespace {

// True when a DestinationRule's TLS mode leaves this cluster no endpoint
// (istiod: EndpointsWithMTLSFilter over mtls_checker's verdict).
bool plaintext(const discovery::Service& service, const discovery::ServicePort& port,
               const discovery::Subset* subset) {
  const discovery::PlaintextCluster wanted{port.number, subset ? subset->name : ""};
  return std::find(service.plaintext.begin(), service.plaintext.end(), wanted) !=
         service.plaintext.end();
}

// discovery::service_host(service, domain) == host, without building it.
bool is_service_host(const discovery::Service& service, std::string_view host,
                     std::string_view domain) {
  if (!service.host.empty()) return service.host == host;
  constexpr std::string_view kSvc = ".svc.";
  const std::size_t size =
      service.name.size() + 1 + service.ns.size() + kSvc.size() + domain.size();
  if (host.size() != size || !host.starts_with(service.name)) return false;
  std::string_view rest = host.substr(service.name.size());
  if (!rest.starts_with('.')) return false;
  rest.remove_prefix(1);
  if (!rest.starts_with(service.ns)) return false;
  rest.remove_prefix(service.ns.size());
  return rest.starts_with(kSvc) && rest.substr(kSvc.size()) == domain;
}

bool names_host(const discovery::Service& service, std::string_view host, std::string_view domain) {
  return is_service_host(service, host, domain) ||
         std::find(service.hostnames.begin(), service.hostnames.end(), host) !=
             service.hostnames.end();
}

using AliasIt = std::vector<discovery::HostAlias>::const_iterator;

// RouteTable::build's host map, asked for one host: services claim hosts in
// snapshot order (the first keeps it), then aliases in order, each mapped to
// whatever its service's host maps to so far, i.e. through the services and
// the aliases before it (those before `aliases_end`).
const discovery::Service* host_owner(const discovery::Snapshot& snapshot, std::string_view host,
                                     std::string_view domain, AliasIt aliases_end) {
  for (const discovery::Service& service : snapshot.services()) {
    if (names_host(service, host, domain)) return &service;
  }
  const auto& aliases = snapshot.aliases();
  auto it = std::lower_bound(aliases.begin(), aliases_end, host,
                             [](const discovery::HostAlias& alias, std::string_view wanted) {
                               return alias.host < wanted;
                             });
  for (; it != aliases_end && it->host == host; ++it) {
    if (it->service_name.empty() || it->host.starts_with("*.")) continue;
    const std::string target = canonical_host(it->service_name, it->service_namespace, domain);
    if (const discovery::Service* owner = host_owner(snapshot, target, domain, it)) return owner;
  }
  return nullptr;
}

// What the service's source sets for the cluster of (port, subset).
ClusterPolicy policy_of(const discovery::Service& service, const discovery::ServicePort& port,
                        const discovery::Subset* subset, std::string_view cluster,
                        const RouteOptions& options) {
  ClusterPolicy policy;
  const std::string_view subset_name = subset ? std::string_view(subset->name) : "";
  const auto settings =
      std::find_if(service.settings.begin(), service.settings.end(),
                   [&](const auto& s) { return s.port == port.number && s.subset == subset_name; });
  if (settings == service.settings.end()) return policy;
  policy.connect_timeout = settings->connect_timeout;
  if (settings->balancing) {
    policy.balancing = *settings->balancing == discovery::Balancing::kLeastConnections
                           ? config::LoadBalancing::kLeastConnections
                           : config::LoadBalancing::kRoundRobin;
  }
  if (settings->outlier) {
    const discovery::OutlierSettings& o = *settings->outlier;
    policy.outlier = config::Outlier{o.consecutive_failures, o.base_ejection, o.max_ejection};
  }
  if (settings->max_connections && options.limits) {
    policy.max_connections = settings->max_connections;
    policy.open = options.limits->count(cluster);
  }
  return policy;
}

}  // namespace

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

bool endpoint_usable(const discovery::Endpoint& endpoint, const RouteOptions& options) {
  const bool local = endpoint.network.empty() || endpoint.network == options.network;
  return local && (endpoint.mtls_capable || !options.require_mtls_endpoints);
}

Cluster service_cluster(const discovery::Service& service, std::string_view host,
                        const discovery::ServicePort& port, const discovery::Subset* subset,
                        const RouteOptions& options, const RefusalNote& on_refused) {
  Cluster cluster;
  cluster.name = cluster_name(port.number, subset ? std::string_view(subset->name) : "", host);
  cluster.policy = policy_of(service, port, subset, cluster.name, options);
  if (options.require_mtls_endpoints && plaintext(service, port, subset)) return cluster;
  for (const discovery::Endpoint& endpoint : service.endpoints) {
    if (!endpoint_usable(endpoint, options)) continue;
    if (subset != nullptr && !discovery::in_subset(endpoint, *subset)) continue;
    const std::optional<uint16_t> endpoint_port = discovery::endpoint_port(endpoint, port);
    if (!endpoint_port) continue;  // the endpoint does not serve this port
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(endpoint.address, ec);
    if (ec) continue;  // sources validate addresses; never dial a non-IP
    const asio::ip::tcp::endpoint target{address, *endpoint_port};
    const TargetRefusal refusal = options.targets.check(target);
    if (refusal != TargetRefusal::kNone) {
      ++cluster.refused[static_cast<std::size_t>(refusal)];
      if (on_refused) on_refused(target, refusal);
      continue;
    }
    cluster.endpoints.push_back({target, std::max<uint32_t>(1, endpoint.weight)});
  }
  return cluster;
}

const discovery::Service* service_for_host(const discovery::Snapshot& snapshot,
                                           std::string_view host, std::string_view cluster_domain) {
  const AliasIt all = snapshot.aliases().end();
  if (const discovery::Service* owner = host_owner(snapshot, host, cluster_domain, all)) {
    return owner;
  }
  const std::string rewritten = sni::rewrite_global(host, cluster_domain);
  if (rewritten == host) return nullptr;
  return host_owner(snapshot, rewritten, cluster_domain, all);
}

}  // namespace meshgate::gateway
