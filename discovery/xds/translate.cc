#include "discovery/xds/translate.h"

#include <algorithm>
#include <charconv>
#include <map>
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
  std::map<uint16_t, bool> ports;
  std::map<std::string, bool> subsets;
  std::map<std::string, discovery::Endpoint> endpoints;  // by address
};

class Builder {
 public:
  explicit Builder(const XdsState& state) : state_(state) {}

  void route(const ClusterKey& key, const std::vector<WeightedCluster>& clusters);
  Translated finish();
  TranslateStats& stats() { return stats_; }

 private:
  void add_endpoints(HostRoutes& host, const ClusterKey& key, const Cluster& cluster,
                     uint32_t weight);
  const LoadAssignment* assignment_of(const Cluster& cluster) const;

  const XdsState& state_;
  std::map<std::string, HostRoutes> hosts_;
  TranslateStats stats_;
};

const LoadAssignment* Builder::assignment_of(const Cluster& cluster) const {
  if (cluster.type == ClusterType::kStatic) return &cluster.load_assignment;
  if (cluster.type != ClusterType::kEds) return nullptr;
  const auto found = state_.assignments.find(cluster.eds_name);
  return found == state_.assignments.end() ? nullptr : &found->second;
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

void Builder::add_endpoints(HostRoutes& host, const ClusterKey& key, const Cluster& cluster,
                            uint32_t weight) {
  const LoadAssignment* assignment = assignment_of(cluster);
  if (assignment == nullptr) {
    ++stats_.unresolved_clusters;
    return;
  }
  for (const xds::Endpoint* endpoint : usable(*assignment)) {
    discovery::Endpoint& out = host.endpoints[endpoint->address];
    if (out.address.empty()) {
      out.address = endpoint->address;
      out.weight = std::clamp<uint32_t>(endpoint->weight * weight, 1, 1000);
      out.mtls_capable = endpoint->istio_mtls;
      out.ports_exact = true;
    }
    out.ports[port_name(key.port)] = endpoint->port;
    if (!key.subset.empty()) out.labels[subset_label(key.subset)] = "true";
  }
}

void Builder::route(const ClusterKey& key, const std::vector<WeightedCluster>& clusters) {
  HostRoutes& host = hosts_[key.host];
  host.ports[key.port] = true;
  if (!key.subset.empty()) host.subsets[key.subset] = true;
  ++stats_.routes;
  if (clusters.size() > 1) ++stats_.weighted_routes;
  for (const WeightedCluster& weighted : clusters) {
    const auto cluster = state_.clusters.find(weighted.name);
    if (cluster == state_.clusters.end()) {
      ++stats_.unknown_clusters;
      continue;
    }
    add_endpoints(host, key, cluster->second, clusters.size() > 1 ? weighted.weight : 1);
  }
}

// "name.namespace.svc...": a Kubernetes service's name and namespace; other
// hosts are their own name, in the namespace "xds".
void name_service(Service& service, const std::string& host) {
  const size_t first = host.find('.');
  const size_t second = first == std::string::npos ? first : host.find('.', first + 1);
  if (second != std::string::npos && host.compare(second, 5, ".svc.") == 0) {
    service.name = host.substr(0, first);
    service.ns = host.substr(first + 1, second - first - 1);
  } else {
    service.name = host;
    service.ns = "xds";
  }
}

Translated Builder::finish() {
  Translated out;
  for (auto& [host, routes] : hosts_) {
    Service& service = out.state.services.emplace_back();
    name_service(service, host);
    service.host = host;
    for (const auto& [port, unused] : routes.ports)
      service.ports.push_back({port_name(port), port, 0});
    for (const auto& [subset, unused] : routes.subsets)
      service.subsets.push_back({subset, {{subset_label(subset), "true"}}});
    for (auto& [address, endpoint] : routes.endpoints)
      service.endpoints.push_back(std::move(endpoint));
  }
  out.stats = stats_;
  return out;
}

void translate_chain(const Chain& chain, Builder& builder) {
  if (chain.unserved) {
    ++builder.stats().unserved_chains;
    return;
  }
  if (chain.server_names.empty()) {
    for (const WeightedCluster& weighted : chain.clusters) {
      const std::optional<ClusterKey> key = parse_cluster_name(weighted.name);
      if (key) {
        builder.route(*key, {weighted});
      } else {
        ++builder.stats().unnamed_clusters;
      }
    }
    return;
  }
  for (const std::string& server_name : chain.server_names) {
    const sni::NameParse parsed = sni::parse_sni(server_name);
    if (!parsed.ok() || !parsed.name.outbound) {
      ++builder.stats().foreign_names;
      continue;
    }
    builder.route({*parsed.name.port, parsed.name.subset, parsed.name.host}, chain.clusters);
  }
}

}  // namespace

Translated translate(const XdsState& state) {
  Builder builder(state);
  for (const auto& [name, listener] : state.listeners) {
    if (listener.port == 0) continue;
    for (const Chain& chain : listener.chains)
      translate_chain(chain, builder);
  }
  return builder.finish();
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
