// What istiod's xDS resources mean to meshgate, as plain values: the filter
// chains it can serve (TLS passed through to a cluster), the clusters they
// name and those clusters' endpoints. decode.h builds them from the protobuf
// messages; no protobuf type appears here.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace meshgate::discovery::xds {

inline constexpr std::string_view kListenerType =
    "type.googleapis.com/envoy.config.listener.v3.Listener";
inline constexpr std::string_view kClusterType =
    "type.googleapis.com/envoy.config.cluster.v3.Cluster";
inline constexpr std::string_view kLoadAssignmentType =
    "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";

// Where a matching connection goes: tcp_proxy's cluster (weight 1), or its
// weighted_clusters.
struct WeightedCluster {
  std::string name;
  uint32_t weight = 1;
  bool operator==(const WeightedCluster&) const = default;
};

// Why a filter chain is not served. Such a chain still takes the
// connections it matches (and closes them): skipping it would hand them to a
// less specific chain. It is counted and shown, and the rest of the listener
// applies: istiod sends such chains (HTTP servers, TLS termination, RBAC) to
// Envoy, and refusing the whole update over them would stop every other change.
enum class Unserved {
  kTlsTermination,    // a transport_socket: Envoy would terminate TLS
  kNoTcpProxy,        // its last filter is not envoy.filters.network.tcp_proxy
  kFilterBefore,      // a filter meshgate cannot apply (e.g. RBAC) comes before tcp_proxy
  kMatchUnsupported,  // it matches addresses, source ports or plain TCP
};
inline constexpr size_t kUnservedCount = 4;
std::string_view unserved_name(Unserved reason);

// A filter chain: what it matches and, when meshgate serves it, the cluster
// a TLS connection is passed through to, untouched.
struct Chain {
  std::string name;                       // the chain's name, else "filter_chains[i]"
  std::vector<std::string> server_names;  // exact names or "*.suffix"; empty: any name
  std::vector<std::string> alpn;          // the client must offer one; empty: any
  std::vector<WeightedCluster> clusters;  // empty when unserved
  std::optional<Unserved> unserved;
  std::string detail;  // when unserved: what was found (a filter's name, ...)
  bool operator==(const Chain&) const = default;
};

struct Listener {
  std::string name;  // "0.0.0.0_15443"
  // The port it listens on; 0 for a listener with no socket address (an
  // internal listener), which meshgate has no use for.
  uint16_t port = 0;
  std::vector<Chain> chains;  // default_filter_chain last, matching anything
  bool operator==(const Listener&) const = default;
};

// kOther: a type meshgate cannot resolve (ORIGINAL_DST, a custom type): the
// cluster is kept, with no endpoint, so chains to it close their connections.
enum class ClusterType { kStatic, kStrictDns, kLogicalDns, kEds, kOther };
// Envoy's policies on meshgate's balancers: least request and random come
// close to least connections and round robin; ring hash and maglev (which
// need a hash key a passthrough gateway does not have) become round robin.
enum class LbPolicy { kRoundRobin, kLeastRequest, kRandom };

// dns_lookup_family: which addresses of a DNS cluster's host names are used.
// AUTO takes IPv6 when the name has any, else IPv4; V4_PREFERRED the other
// way round; ALL takes both.
enum class DnsFamily { kAuto, kV4Only, kV6Only, kV4Preferred, kAll };

// How a STRICT_DNS or LOGICAL_DNS cluster resolves its host names.
struct DnsSpec {
  std::chrono::milliseconds refresh{5'000};  // dns_refresh_rate, Envoy's default
  bool respect_ttl = false;                  // refresh at the answer's TTL instead
  DnsFamily family = DnsFamily::kAuto;
  bool operator==(const DnsSpec&) const = default;
};

struct OutlierSpec {
  uint32_t consecutive_failures = 0;  // gateway, else local-origin failures; 0: off
  std::chrono::milliseconds base_ejection{30'000};
  std::chrono::milliseconds max_ejection{300'000};
  bool operator==(const OutlierSpec&) const = default;
};

enum class Health { kUnknown, kHealthy, kUnhealthy, kDraining, kTimeout, kDegraded };
// Only these are dialled, as Envoy does by default.
inline bool dialled(Health health) {
  return health == Health::kUnknown || health == Health::kHealthy;
}

struct Endpoint {
  std::string address;  // an IP literal; a host name in STRICT_DNS/LOGICAL_DNS clusters
  uint16_t port = 0;
  Health health = Health::kUnknown;
  uint32_t weight = 1;  // load_balancing_weight, else 1
  // filter_metadata["envoy.transport_socket_match"].tlsMode == "istio".
  bool istio_mtls = false;
  bool operator==(const Endpoint&) const = default;
};

struct LocalityEndpoints {
  std::string region;
  std::string zone;
  std::string sub_zone;
  uint32_t priority = 0;  // 0 is the highest
  uint32_t weight = 0;    // 0: unset
  std::vector<Endpoint> endpoints;
  bool operator==(const LocalityEndpoints&) const = default;
};

struct LoadAssignment {
  std::string cluster_name;
  std::vector<LocalityEndpoints> localities;
  bool operator==(const LoadAssignment&) const = default;
};

struct Cluster {
  std::string name;
  ClusterType type = ClusterType::kStatic;
  std::string eds_name;  // EDS: the name its endpoints come by (service_name, else name)
  std::chrono::milliseconds connect_timeout{5'000};  // Envoy's default
  LbPolicy lb_policy = LbPolicy::kRoundRobin;
  std::optional<uint32_t> max_connections;  // circuit_breakers, DEFAULT priority
  std::optional<OutlierSpec> outlier;
  LoadAssignment load_assignment;  // inline: STATIC and the DNS types
  DnsSpec dns;                     // the DNS types
  bool operator==(const Cluster&) const = default;
};

}  // namespace meshgate::discovery::xds
