#include "discovery/xds/translate.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <set>
#include <vector>

#include "sni/istio_name.h"

namespace meshgate::discovery::xds {
namespace {

// The label that puts an endpoint in a subset istiod named (internal to
// this source: istiod already chose the subset's endpoints).
std::string subset_label(std::string_view subset) {
  return "xds.meshgate/subset." + std::string(subset);
}

std::string port_name(uint16_t port) {
  return "p" + std::to_string(port);
}

// One host's routes while they are collected.
struct HostRoutes {
  std::set<uint16_t> ports;
  std::set<std::string> subsets;
  // By address, or "address#p<port>:<endpoint port>" for a second workload
  // behind one address (host networking).
  std::map<std::string, discovery::Endpoint> endpoints;
  std::vector<ClusterSettings> settings;  // one per (port, subset), the first route's
};

// An endpoint of one cluster, with its share of the route.
struct Share {
  const xds::Endpoint* endpoint;
  uint32_t weight;  // 1..1000
};

// istiod sets max_connections to 2^32-1 where a DestinationRule sets none
// (pilot/pkg/networking/core/cluster_traffic_policy.go): no limit.
constexpr uint32_t kUnlimited = 0xFFFF'FFFF;

// What a cluster sets for the route (port, subset) to it.
ClusterSettings settings_of(const Cluster& cluster, const ClusterKey& key) {
  ClusterSettings out;
  out.port = key.port;
  out.subset = key.subset;
  out.connect_timeout = cluster.connect_timeout;
  // Least request is least connections for a TCP relay; random and the
  // hashing policies spread as round robin does.
  out.balancing = cluster.lb_policy == LbPolicy::kLeastRequest ? Balancing::kLeastConnections
                                                               : Balancing::kRoundRobin;
  if (cluster.max_connections && *cluster.max_connections != kUnlimited) {
    out.max_connections = cluster.max_connections;
  }
  if (cluster.outlier) {
    out.outlier = OutlierSettings{cluster.outlier->consecutive_failures,
                                  cluster.outlier->base_ejection, cluster.outlier->max_ejection};
  }
  return out;
}

// The dialable endpoints of the best priority that has any.
std::vector<const xds::Endpoint*> usable(const LoadAssignment& assignment) {
  std::optional<uint32_t> best;
  for (const LocalityEndpoints& locality : assignment.localities) {
    const bool any = std::any_of(locality.endpoints.begin(), locality.endpoints.end(),
                                 [](const xds::Endpoint& e) { return dialled(e.health); });
    if (any && (!best || locality.priority < *best)) best = locality.priority;
  }
  std::vector<const xds::Endpoint*> out;
  for (const LocalityEndpoints& locality : assignment.localities) {
    if (!best || locality.priority != *best) continue;
    for (const xds::Endpoint& endpoint : locality.endpoints) {
      if (dialled(endpoint.health)) out.push_back(&endpoint);
    }
  }
  return out;
}

class Builder {
 public:
  Builder(const XdsState& state, const DnsAnswers* dns) : state_(state), dns_(dns) {}

  void route(const ClusterKey& key, const std::vector<WeightedCluster>& clusters);
  Translated finish(const TranslateOptions& options);
  TranslateStats& stats() { return stats_; }

 private:
  const LoadAssignment* assignment_of(const Cluster& cluster);
  std::vector<Share> shares(const std::vector<WeightedCluster>& clusters);
  void add_main(HostRoutes& host, uint16_t port, const Share& share);
  void add_subset(HostRoutes& host, const ClusterKey& key, const Share& share);
  void add_settings(HostRoutes& host, const ClusterKey& key,
                    const std::vector<WeightedCluster>& clusters);

  const XdsState& state_;
  const DnsAnswers* dns_;
  std::map<std::string, LoadAssignment> resolved_;  // DNS clusters' endpoints, by cluster
  std::map<std::string, HostRoutes> hosts_;
  TranslateStats stats_;
};

const LoadAssignment* Builder::assignment_of(const Cluster& cluster) {
  if (cluster.type == ClusterType::kStatic) return &cluster.load_assignment;
  if (cluster.type == ClusterType::kStrictDns || cluster.type == ClusterType::kLogicalDns) {
    const auto known = resolved_.find(cluster.name);
    if (known != resolved_.end()) return &known->second;
    static const DnsAnswers kNone;
    LoadAssignment resolved =
        resolve_dns_cluster(cluster, dns_ ? *dns_ : kNone, stats_.dns_unanswered);
    return &resolved_.emplace(cluster.name, std::move(resolved)).first->second;
  }
  if (cluster.type != ClusterType::kEds) return nullptr;
  const auto found = state_.assignments.find(cluster.eds_name);
  return found == state_.assignments.end() ? nullptr : &found->second;
}

// Every endpoint of the route with its weight: a cluster's share is its
// weight over the total, spread over its endpoints by theirs, in 1..1000.
std::vector<Share> Builder::shares(const std::vector<WeightedCluster>& clusters) {
  double total = 0;
  for (const WeightedCluster& weighted : clusters)
    total += weighted.weight;
  std::vector<Share> out;
  for (const WeightedCluster& weighted : clusters) {
    const auto cluster = state_.clusters.find(weighted.name);
    if (cluster == state_.clusters.end()) {
      ++stats_.unknown_clusters;
      continue;
    }
    const LoadAssignment* assignment = assignment_of(cluster->second);
    if (assignment == nullptr) {
      ++stats_.unresolved_clusters;
      continue;
    }
    const std::vector<const xds::Endpoint*> endpoints = usable(*assignment);
    double sum = 0;
    for (const xds::Endpoint* endpoint : endpoints)
      sum += endpoint->weight;
    for (const xds::Endpoint* endpoint : endpoints) {
      const double share = clusters.size() == 1
                               ? endpoint->weight
                               : 1000.0 * (weighted.weight / total) * (endpoint->weight / sum);
      out.push_back({endpoint, static_cast<uint32_t>(std::clamp(std::round(share), 1.0, 1000.0))});
    }
  }
  return out;
}

// The model's endpoint for `share` on `port`: one per address across the
// service's ports; a second endpoint port of one address for the same
// service port gets a key of its own.
discovery::Endpoint& slot(HostRoutes& host, const xds::Endpoint& endpoint,
                          const std::string& port) {
  const auto found = host.endpoints.find(endpoint.address);
  if (found == host.endpoints.end()) return host.endpoints[endpoint.address];
  const auto taken = found->second.ports.find(port);
  if (taken == found->second.ports.end() || taken->second == endpoint.port) return found->second;
  return host.endpoints[endpoint.address + "#" + port + ":" + std::to_string(endpoint.port)];
}

void Builder::add_main(HostRoutes& host, uint16_t port, const Share& share) {
  const std::string name = port_name(port);
  discovery::Endpoint& out = slot(host, *share.endpoint, name);
  if (out.address.empty()) {
    out.address = share.endpoint->address;
    out.weight = share.weight;
    out.mtls_capable = share.endpoint->istio_mtls;
    out.ports_exact = true;
  }
  out.ports = out.ports.with(name, share.endpoint->port);
}

// A subset's endpoint is one the port's own route has: label it.
void Builder::add_subset(HostRoutes& host, const ClusterKey& key, const Share& share) {
  const std::string name = port_name(key.port);
  const xds::Endpoint& wanted = *share.endpoint;
  for (const std::string& candidate :
       {wanted.address, wanted.address + "#" + name + ":" + std::to_string(wanted.port)}) {
    const auto found = host.endpoints.find(candidate);
    if (found == host.endpoints.end()) continue;
    const auto port = found->second.ports.find(name);
    if (port != found->second.ports.end() && port->second == wanted.port) {
      found->second.labels = found->second.labels.with(subset_label(key.subset), "true");
      return;
    }
  }
  ++stats_.subset_outside_route;
}

// The settings of the route's first known cluster (a weighted route has one
// set for all of its clusters), unless an earlier route set the key's.
void Builder::add_settings(HostRoutes& host, const ClusterKey& key,
                           const std::vector<WeightedCluster>& clusters) {
  for (const ClusterSettings& known : host.settings) {
    if (known.port == key.port && known.subset == key.subset) return;
  }
  for (const WeightedCluster& weighted : clusters) {
    const auto cluster = state_.clusters.find(weighted.name);
    if (cluster == state_.clusters.end()) continue;
    host.settings.push_back(settings_of(cluster->second, key));
    return;
  }
}

void Builder::route(const ClusterKey& key, const std::vector<WeightedCluster>& clusters) {
  HostRoutes& host = hosts_[key.host];
  add_settings(host, key, clusters);
  host.ports.insert(key.port);
  ++stats_.routes;
  if (clusters.size() > 1) ++stats_.weighted_routes;
  if (!key.subset.empty()) host.subsets.insert(key.subset);
  for (const Share& share : shares(clusters)) {
    if (key.subset.empty()) {
      add_main(host, key.port, share);
    } else {
      add_subset(host, key, share);
    }
  }
}

// "name.namespace.svc.<domain>": a Kubernetes service's name and namespace;
// other hosts are their own name, in the namespace "xds".
void name_service(Service& service, const std::string& host, const std::string& domain) {
  const std::string suffix = ".svc." + domain;
  const size_t first = host.find('.');
  if (host.size() > suffix.size() && host.ends_with(suffix) && first != std::string::npos &&
      host.find('.', first + 1) == host.size() - suffix.size()) {
    service.name = host.substr(0, first);
    service.ns = host.substr(first + 1, host.size() - suffix.size() - first - 1);
  } else {
    service.name = host;
    service.ns = "xds";
  }
}

Translated Builder::finish(const TranslateOptions& options) {
  Translated out;
  for (auto& [host, routes] : hosts_) {
    Service& service = out.state.services.emplace_back();
    name_service(service, host, options.cluster_domain);
    service.host = host;
    for (uint16_t port : routes.ports)
      service.ports.push_back({port_name(port), port, 0});
    for (const std::string& subset : routes.subsets)
      service.subsets.push_back({subset, {{subset_label(subset), "true"}}});
    for (auto& [key, endpoint] : routes.endpoints)
      service.endpoints.push_back(std::move(endpoint));
    service.settings = std::move(routes.settings);
  }
  out.stats = stats_;
  return out;
}

// The routes of the passthrough listener's chains with an outbound_ name
// (subset-free ones first: subsets label their endpoints).
void passthrough_routes(const Listener& listener, Builder& builder, bool subsets) {
  for (const Chain& chain : listener.chains) {
    if (chain.unserved) {
      if (!subsets) ++builder.stats().unserved_chains;
      continue;
    }
    for (const std::string& server_name : chain.server_names) {
      const sni::NameParse parsed = sni::parse_sni(server_name);
      if (!parsed.ok() || !parsed.name.outbound) {
        if (!subsets) ++builder.stats().foreign_names;
        continue;
      }
      if (parsed.name.subset.empty() == subsets) continue;
      builder.route({*parsed.name.port, parsed.name.subset, parsed.name.host}, chain.clusters);
    }
  }
}

// The routes of an istiod listener's catch-all chains, by their clusters' names.
void istiod_routes(const Listener& listener, Builder& builder) {
  for (const Chain& chain : listener.chains) {
    if (chain.unserved || !chain.server_names.empty()) {
      ++builder.stats().unserved_chains;
      continue;
    }
    for (const WeightedCluster& weighted : chain.clusters) {
      const std::optional<ClusterKey> key = parse_cluster_name(weighted.name);
      if (key && key->subset.empty()) {
        builder.route(*key, {weighted});
      } else {
        ++builder.stats().unnamed_clusters;
      }
    }
  }
}

}  // namespace

Translated translate(const XdsState& state, const TranslateOptions& options,
                     const DnsAnswers* dns) {
  Builder builder(state, dns);
  for (bool subsets : {false, true}) {
    for (const auto& [name, listener] : state.listeners) {
      if (listener.port != 0 && listener.port == options.passthrough_port) {
        passthrough_routes(listener, builder, subsets);
      }
    }
  }
  for (const auto& [name, listener] : state.listeners) {
    const auto& istiod = options.istiod_ports;
    if (listener.port != 0 &&
        std::find(istiod.begin(), istiod.end(), listener.port) != istiod.end()) {
      istiod_routes(listener, builder);
    } else if (listener.port != options.passthrough_port) {
      builder.stats().other_listener_chains += listener.chains.size();
    }
  }
  return builder.finish(options);
}

std::optional<ClusterKey> parse_cluster_name(std::string_view name) {
  std::vector<std::string_view> parts;
  for (size_t start = 0; parts.size() <= 4;) {
    const size_t bar = name.find('|', start);
    parts.push_back(name.substr(start, bar == std::string_view::npos ? bar : bar - start));
    if (bar == std::string_view::npos) break;
    start = bar + 1;
  }
  if (parts.size() != 4 || parts[0] != "outbound" || !sni::is_lowercase_host(parts[3])) {
    return std::nullopt;
  }
  uint16_t port = 0;
  const char* end = parts[1].data() + parts[1].size();
  const auto [stop, error] = std::from_chars(parts[1].data(), end, port);
  if (error != std::errc() || stop != end || port == 0) return std::nullopt;
  return ClusterKey{port, std::string(parts[2]), std::string(parts[3])};
}

}  // namespace meshgate::discovery::xds
