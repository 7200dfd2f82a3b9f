// ClusterLoadAssignments: localities with their priority and weight, and each
// endpoint's address, port, health, weight and whether it takes Istio mTLS.
#include <fmt/format.h>

#include <string>

#include "base/ip.h"
#include "discovery/xds/decode.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"

namespace meshgate::discovery::xds {
namespace {

namespace endpoint = envoy::config::endpoint::v3;

constexpr std::string_view kTransportSocketMatch = "envoy.transport_socket_match";

struct Problem {
  std::string field;
  std::string message;
};

Health health_of(envoy::config::core::v3::HealthStatus status) {
  switch (status) {
    case envoy::config::core::v3::HEALTHY:
      return Health::kHealthy;
    case envoy::config::core::v3::UNHEALTHY:
      return Health::kUnhealthy;
    case envoy::config::core::v3::DRAINING:
      return Health::kDraining;
    case envoy::config::core::v3::TIMEOUT:
      return Health::kTimeout;
    case envoy::config::core::v3::DEGRADED:
      return Health::kDegraded;
    default:
      return Health::kUnknown;  // UNKNOWN, and values added after this was written
  }
}

// filter_metadata["envoy.transport_socket_match"]["tlsMode"] == "istio": the
// endpoint's sidecar takes Istio mTLS (istiod's endpoint_builder sets it).
bool takes_istio_mtls(const endpoint::LbEndpoint& lb) {
  const auto& filters = lb.metadata().filter_metadata();
  const auto match = filters.find(std::string(kTransportSocketMatch));
  if (match == filters.end()) return false;
  const auto mode = match->second.fields().find("tlsMode");
  return mode != match->second.fields().end() && mode->second.string_value() == "istio";
}

// A host name of a DNS cluster: letters, digits, '-', '.', at most 253.
bool valid_host_name(std::string_view host) {
  return !host.empty() && host.size() <= 253 && std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
  });
}

// Nullopt, and no problem, for an endpoint meshgate cannot dial and skips: a
// named or internal address (istiod sends those for HBONE).
std::optional<Problem> read_endpoint(const endpoint::LbEndpoint& lb, bool hostnames,
                                     std::optional<Endpoint>& out) {
  if (!lb.has_endpoint() || !lb.endpoint().address().has_socket_address()) return std::nullopt;
  const auto& socket = lb.endpoint().address().socket_address();
  if (socket.protocol() != socket.TCP || socket.port_specifier_case() != socket.kPortValue) {
    return std::nullopt;
  }
  if (socket.port_value() == 0 || socket.port_value() > 65535) {
    return Problem{"port_value", "not 1..65535"};
  }
  const bool literal = base::parse_ip(socket.address()).has_value();
  if (!literal && !(hostnames && valid_host_name(socket.address()))) {
    return Problem{"address", hostnames ? "not an IP literal or a host name" : "not an IP literal"};
  }
  if (lb.has_load_balancing_weight() && lb.load_balancing_weight().value() == 0) {
    return Problem{"load_balancing_weight", "0 (at least 1)"};
  }
  out = Endpoint{socket.address(), static_cast<uint16_t>(socket.port_value()),
                 health_of(lb.health_status()),
                 lb.has_load_balancing_weight() ? lb.load_balancing_weight().value() : 1,
                 takes_istio_mtls(lb)};
  return std::nullopt;
}

std::optional<Problem> read_locality(const endpoint::LocalityLbEndpoints& proto, bool hostnames,
                                     const DecodeLimits& limits, size_t& endpoints,
                                     LocalityEndpoints& out) {
  if (proto.priority() > limits.max_priority) {
    return Problem{"priority", fmt::format("above {}", limits.max_priority)};
  }
  out.region = proto.locality().region().substr(0, 128);
  out.zone = proto.locality().zone().substr(0, 128);
  out.sub_zone = proto.locality().sub_zone().substr(0, 128);
  out.priority = proto.priority();
  out.weight = proto.has_load_balancing_weight() ? proto.load_balancing_weight().value() : 0;
  for (int i = 0; i < proto.lb_endpoints_size(); ++i) {
    if (++endpoints > limits.max_endpoints) {
      return Problem{"lb_endpoints", fmt::format("more than {} endpoints", limits.max_endpoints)};
    }
    std::optional<Endpoint> read;
    if (auto problem = read_endpoint(proto.lb_endpoints(i), hostnames, read)) {
      problem->field = fmt::format("lb_endpoints[{}].{}", i, problem->field);
      return problem;
    }
    if (read) out.endpoints.push_back(std::move(*read));
  }
  return std::nullopt;
}

}  // namespace

Decoded<LoadAssignment> decode_load_assignment(const endpoint::ClusterLoadAssignment& proto,
                                               bool hostnames, const DecodeLimits& limits) {
  const auto fail = [&](std::string field, std::string message) {
    return Decoded<LoadAssignment>{
        std::nullopt,
        {resource_path("endpoints", proto.cluster_name()) + field, 0, std::move(message)}};
  };
  if (!valid_name(proto.cluster_name(), limits.max_name_bytes)) {
    return fail("", "not a cluster name");
  }
  if (static_cast<size_t>(proto.endpoints_size()) > limits.max_localities) {
    return fail(".endpoints", fmt::format("more than {} localities", limits.max_localities));
  }
  LoadAssignment out{proto.cluster_name(), {}};
  size_t endpoints = 0;
  for (int i = 0; i < proto.endpoints_size(); ++i) {
    LocalityEndpoints& locality = out.localities.emplace_back();
    if (auto problem = read_locality(proto.endpoints(i), hostnames, limits, endpoints, locality)) {
      return fail(fmt::format(".endpoints[{}].{}", i, problem->field), std::move(problem->message));
    }
  }
  return {std::move(out), {}};
}

}  // namespace meshgate::discovery::xds
