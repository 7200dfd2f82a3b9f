#include "discovery/xds/dns_names.h"

#include <algorithm>

#include "base/cidr.h"

namespace meshgate::discovery::xds {
namespace {

bool is_dns(const Cluster& cluster) {
  return cluster.type == ClusterType::kStrictDns || cluster.type == ClusterType::kLogicalDns;
}

bool is_literal(const std::string& address) {
  return base::parse_ip(address).has_value();
}

// The endpoints a cluster resolves: every one for STRICT_DNS, the first one
// for LOGICAL_DNS (Envoy accepts exactly one there).
template <typename Visit>
void each_resolved_endpoint(const LoadAssignment& assignment, ClusterType type, Visit visit) {
  for (const LocalityEndpoints& locality : assignment.localities) {
    for (const Endpoint& endpoint : locality.endpoints) {
      visit(locality, endpoint);
      if (type == ClusterType::kLogicalDns) return;
    }
  }
}

}  // namespace

std::vector<DnsWant> dns_wants(const XdsState& state) {
  std::map<DnsName, DnsWant> wants;
  for (const auto& entry : state.clusters) {
    const Cluster& cluster = entry.second;  // a structured binding clang 14 cannot capture
    if (!is_dns(cluster)) continue;
    each_resolved_endpoint(cluster.load_assignment, cluster.type,
                           [&](const LocalityEndpoints&, const Endpoint& endpoint) {
                             if (is_literal(endpoint.address)) return;
                             const DnsName key{endpoint.address, cluster.dns.family};
                             const auto [it, fresh] = wants.try_emplace(
                                 key, DnsWant{key, cluster.dns.refresh, cluster.dns.respect_ttl});
                             if (fresh) return;
                             it->second.refresh = std::min(it->second.refresh, cluster.dns.refresh);
                             it->second.respect_ttl |= cluster.dns.respect_ttl;
                           });
  }
  std::vector<DnsWant> out;
  out.reserve(wants.size());
  for (auto& [key, want] : wants)
    out.push_back(std::move(want));
  return out;
}

std::vector<std::string> pick_family(DnsFamily family,
                                     const std::vector<base::IpAddress>& addresses) {
  const bool any_v6 = std::any_of(addresses.begin(), addresses.end(),
                                  [](const base::IpAddress& a) { return a.v6; });
  const bool any_v4 = std::any_of(addresses.begin(), addresses.end(),
                                  [](const base::IpAddress& a) { return !a.v6; });
  bool want_v4 = true;
  bool want_v6 = true;
  switch (family) {
    case DnsFamily::kAuto:
      want_v4 = !any_v6;
      break;
    case DnsFamily::kV4Preferred:
      want_v6 = !any_v4;
      break;
    case DnsFamily::kV4Only:
      want_v6 = false;
      break;
    case DnsFamily::kV6Only:
      want_v4 = false;
      break;
    case DnsFamily::kAll:
      break;
  }
  std::vector<std::string> out;
  for (const base::IpAddress& address : addresses) {
    if (address.v6 ? want_v6 : want_v4) out.push_back(base::to_string(address));
  }
  return out;
}

LoadAssignment resolve_dns_cluster(const Cluster& cluster, const DnsAnswers& answers,
                                   uint64_t& unanswered) {
  LoadAssignment out;
  out.cluster_name = cluster.name;
  if (!is_dns(cluster)) return out;
  const bool logical = cluster.type == ClusterType::kLogicalDns;
  const LocalityEndpoints* last = nullptr;  // the locality out.localities.back() copies
  each_resolved_endpoint(
      cluster.load_assignment, cluster.type,
      [&](const LocalityEndpoints& locality, const Endpoint& endpoint) {
        if (&locality != last) {
          last = &locality;
          LocalityEndpoints& copy = out.localities.emplace_back(locality);
          copy.endpoints.clear();
        }
        std::vector<Endpoint>& into = out.localities.back().endpoints;
        if (is_literal(endpoint.address)) {
          into.push_back(endpoint);
          return;
        }
        const auto found = answers.find(DnsName{endpoint.address, cluster.dns.family});
        if (found == answers.end()) {
          ++unanswered;
          return;
        }
        for (const std::string& address : found->second) {
          Endpoint resolved = endpoint;
          resolved.address = address;
          into.push_back(std::move(resolved));
          if (logical) break;
        }
      });
  return out;
}

}  // namespace meshgate::discovery::xds
