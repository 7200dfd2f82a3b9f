// STRICT_DNS and LOGICAL_DNS clusters (ServiceEntries with resolution DNS
// or DNS_ROUND_ROBIN, as istiod builds them in
// pilot/pkg/networking/core/cluster_builder.go): which host names the state
// needs resolved and how often, and a cluster's endpoints once they are.
// Pure; DnsRefresher (dns_refresher.h) does the resolving.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/ip.h"
#include "discovery/xds/ads_state.h"
#include "discovery/xds/resources.h"

namespace meshgate::discovery::xds {

// A host name with the family a cluster wants of it.
struct DnsName {
  std::string host;
  DnsFamily family = DnsFamily::kAuto;
  auto operator<=>(const DnsName&) const = default;
};

// A name to keep resolved: the shortest refresh of the clusters naming it,
// and whether one of them refreshes at the answer's TTL instead.
struct DnsWant {
  DnsName name;
  std::chrono::milliseconds refresh{5'000};
  bool respect_ttl = false;
  bool operator==(const DnsWant&) const = default;
};

// Every host name of the state's DNS clusters (IP literals need none), once.
std::vector<DnsWant> dns_wants(const XdsState& state);

// A name's addresses as IP literals, in the answer's order, of the family
// its clusters want. A name that is absent has not been answered yet; one
// whose lookup failed maps to an empty list (its clusters have no endpoint
// from it, as in Envoy).
using DnsAnswers = std::map<DnsName, std::vector<std::string>>;

// The addresses of a lookup of both families that `family` takes: AUTO the
// IPv6 ones if any, else IPv4; V4_PREFERRED the reverse; ALL both; the
// _ONLY families their own.
std::vector<std::string> pick_family(DnsFamily family,
                                     const std::vector<base::IpAddress>& addresses);

// A DNS cluster's endpoints with its host names resolved: a STRICT_DNS
// endpoint becomes one endpoint per address (same port, health, weight and
// metadata); a LOGICAL_DNS cluster has one endpoint, its first endpoint's
// first address. `unanswered` counts the host names not in `answers`.
LoadAssignment resolve_dns_cluster(const Cluster& cluster, const DnsAnswers& answers,
                                   uint64_t& unanswered);

}  // namespace meshgate::discovery::xds
