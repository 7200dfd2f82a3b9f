// The service model every discovery source produces and every reader consumes.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace meshgate::discovery {

using Labels = std::map<std::string, std::string, std::less<>>;

inline constexpr const char* kTlsModeLabel = "security.istio.io/tlsMode";
inline constexpr const char* kNetworkLabel = "topology.istio.io/network";

struct ServicePort {
  std::string name;          // e.g. "http", "tls"; may be empty
  uint16_t number = 0;       // the service port, as in the SNI
  uint16_t target_port = 0;  // endpoint port; 0: same as number
  bool operator==(const ServicePort&) const = default;
};

struct Endpoint {
  std::string address;                    // an IPv4 or IPv6 literal
  std::map<std::string, uint16_t> ports;  // port name -> endpoint port override
  Labels labels;
  std::string network;        // "" : the gateway's own network
  uint32_t weight = 1;        // 1..1000
  bool mtls_capable = false;  // sidecar takes Istio mTLS
  bool operator==(const Endpoint&) const = default;
};

struct Subset {
  std::string name;
  Labels labels;  // an endpoint is in the subset if it carries all of these
  bool operator==(const Subset&) const = default;
};

struct Service {
  std::string name;
  std::string ns;                      // namespace
  std::vector<std::string> hostnames;  // extra hosts; <name>.<ns>.svc.<domain> is implied
  std::vector<ServicePort> ports;
  std::vector<Subset> subsets;
  std::vector<Endpoint> endpoints;
  bool operator==(const Service&) const = default;
};

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

// The endpoint port for a service port: the endpoint's override by port name,
// else target_port, else the service port number.
uint16_t endpoint_port(const Endpoint& endpoint, const ServicePort& port);

// True if the endpoint carries every label of the subset.
bool in_subset(const Endpoint& endpoint, const Subset& subset);

}  // namespace meshgate::discovery
