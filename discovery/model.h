// The service model every discovery source produces and every reader consumes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "discovery/shared_map.h"

namespace meshgate::discovery {

using Labels = std::map<std::string, std::string, std::less<>>;
using PortMap = std::map<std::string, uint16_t>;  // service port name -> endpoint port
using LabelSet = SharedMap<Labels>;
using PortSet = SharedMap<PortMap>;

inline constexpr const char* kTlsModeLabel = "security.istio.io/tlsMode";
inline constexpr const char* kNetworkLabel = "topology.istio.io/network";

struct ServicePort {
  std::string name;          // e.g. "http", "tls"; may be empty
  uint16_t number = 0;       // the service port, as in the SNI
  uint16_t target_port = 0;  // endpoint port; 0: same as number
  bool operator==(const ServicePort&) const = default;
};

// Labels and ports are shared with every endpoint that has equal ones (a
// source that interns them through a MapPool keeps each distinct map once).
struct Endpoint {
  std::string address;  // an IPv4 or IPv6 literal
  PortSet ports;        // service port name -> endpoint port
  LabelSet labels;
  std::string network;        // "" : the gateway's own network
  uint32_t weight = 1;        // 1..1000
  bool mtls_capable = false;  // sidecar takes Istio mTLS
  // True: the endpoint serves exactly the service ports named in `ports`
  // (Kubernetes: an EndpointSlice's ports, a WorkloadEntry's resolved
  // targetPorts), as istiod matches them by name, the unnamed port "" too.
  // False: `ports` only overrides, by a non-empty name (registry files).
  bool ports_exact = false;
  bool operator==(const Endpoint&) const = default;
};

struct Subset {
  std::string name;
  Labels labels;  // an endpoint is in the subset if it carries all of these
  bool operator==(const Subset&) const = default;
};

// A (port, subset) whose DestinationRule sets a TLS mode other than
// ISTIO_MUTUAL: istiod sends that SNI cluster no endpoint at all, since the
// gateway could not tell the traffic is Istio mTLS.
struct PlaintextCluster {
  uint16_t port = 0;   // the service port
  std::string subset;  // "" : the port's cluster of the whole service
  bool operator==(const PlaintextCluster&) const = default;
};

// How the cluster of one (port, subset) is dialled, where the source says
// (istiod's Cluster resources); each unset field keeps the gateway's config.
enum class Balancing : uint8_t { kRoundRobin, kLeastConnections };

struct OutlierSettings {
  uint32_t consecutive_failures = 0;  // connect failures in a row that eject; 0: off
  std::chrono::milliseconds base_ejection{30'000};
  std::chrono::milliseconds max_ejection{300'000};
  bool operator==(const OutlierSettings&) const = default;
};

struct ClusterSettings {
  uint16_t port = 0;   // the service port
  std::string subset;  // "" : the port's cluster of the whole service
  std::optional<std::chrono::milliseconds> connect_timeout = std::nullopt;
  std::optional<Balancing> balancing = std::nullopt;
  std::optional<uint32_t> max_connections = std::nullopt;  // open at once, over all workers
  std::optional<OutlierSettings> outlier = std::nullopt;
  bool operator==(const ClusterSettings&) const = default;
};

struct Service {
  std::string name;
  std::string ns;                      // namespace
  std::vector<std::string> hostnames;  // extra hosts
  std::vector<ServicePort> ports;
  std::vector<Subset> subsets;
  std::vector<Endpoint> endpoints;
  std::vector<PlaintextCluster> plaintext;
  std::vector<ClusterSettings> settings;  // at most one per (port, subset)
  // The service's own host: "" for a Kubernetes Service, whose host is
  // <name>.<ns>.svc.<domain>; a ServiceEntry's host otherwise.
  std::string host;
  bool operator==(const Service&) const = default;
};

// The service's host: Service::host, else <name>.<ns>.svc.<cluster_domain>.
std::string service_host(const Service& service, std::string_view cluster_domain);

// A ServiceEntry-style host (e.g. httpbin.bar.global, *.foo.global) with the
// addresses (VIPs) DNS answers for it and, optionally, the service it routes to.
struct HostAlias {
  std::string host;                    // lower case; may start with "*."
  std::vector<std::string> addresses;  // IP literals; may be empty
  std::string service_name;            // "" : DNS only, not routable
  std::string service_namespace;
  bool operator==(const HostAlias&) const = default;
};

// What one source knows, complete (sources send full state).
struct SourceState {
  std::vector<Service> services;
  std::vector<HostAlias> aliases;
  bool operator==(const SourceState&) const = default;
};

// A service shared between snapshots while it does not change.
using ServicePtr = std::shared_ptr<const Service>;

// Aliases shared between snapshots while they do not change.
using AliasesPtr = std::shared_ptr<const std::vector<HostAlias>>;

// A SourceState whose services and aliases a source shares with the
// registry: a source that keeps the pointers of what did not change makes a
// change cost only what changed.
struct SharedSourceState {
  std::vector<ServicePtr> services;  // sorted by (namespace, name)
  AliasesPtr aliases;                // sorted by host; null: none
};

// The endpoint port for a service port: the endpoint's port by the service
// port's name; with ports_exact, nothing when the endpoint has no such port;
// otherwise (an override by a non-empty name) target_port, else the number.
std::optional<uint16_t> endpoint_port(const Endpoint& endpoint, const ServicePort& port);

// True if the endpoint carries every label of the subset.
bool in_subset(const Endpoint& endpoint, const Subset& subset);

}  // namespace meshgate::discovery
