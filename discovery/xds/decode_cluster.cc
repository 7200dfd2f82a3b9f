// Clusters: how their endpoints come (EDS, inline, DNS), the connect timeout,
// the balancing policy, the connection limit and outlier ejection.
#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "discovery/xds/decode.h"
#include "envoy/config/cluster/v3/cluster.pb.h"

namespace meshgate::discovery::xds {
namespace {

namespace cluster = envoy::config::cluster::v3;
using Proto = cluster::Cluster;

// A connect timeout or ejection time, clamped to 1 ms .. 1 h: Envoy takes any
// value a DestinationRule gives, and refusing the whole CDS update over one
// would stop every other change.
constexpr std::chrono::milliseconds kMinDuration{1};
constexpr std::chrono::milliseconds kMaxDuration{3'600'000};
// A DNS cluster is refreshed at most ten times a second, whatever it asks:
// the resolvers it would hammer are the cluster's, not meshgate's.
constexpr std::chrono::milliseconds kMinDnsRefresh{100};

std::chrono::milliseconds milliseconds(const google::protobuf::Duration& d) {
  if (d.seconds() < 0 || (d.seconds() == 0 && d.nanos() <= 0)) return kMinDuration;
  if (d.seconds() >= kMaxDuration.count() / 1000) return kMaxDuration;
  const std::chrono::milliseconds value{d.seconds() * 1000 + d.nanos() / 1'000'000};
  return std::clamp(value, kMinDuration, kMaxDuration);
}

ClusterType type_of(const Proto& proto) {
  if (!proto.has_type()) {
    return proto.cluster_discovery_type_case() == Proto::CLUSTER_DISCOVERY_TYPE_NOT_SET
               ? ClusterType::kStatic  // Envoy's default
               : ClusterType::kOther;  // a custom cluster type
  }
  switch (proto.type()) {
    case Proto::STATIC:
      return ClusterType::kStatic;
    case Proto::STRICT_DNS:
      return ClusterType::kStrictDns;
    case Proto::LOGICAL_DNS:
      return ClusterType::kLogicalDns;
    case Proto::EDS:
      return ClusterType::kEds;
    default:
      return ClusterType::kOther;
  }
}

LbPolicy policy_of(Proto::LbPolicy policy) {
  switch (policy) {
    case Proto::LEAST_REQUEST:
      return LbPolicy::kLeastRequest;
    case Proto::RANDOM:
      return LbPolicy::kRandom;
    default:
      return LbPolicy::kRoundRobin;
  }
}

// A count that is enforced: set, and its enforcing percentage (default
// `enforcing_default`) above 0.
uint32_t enforced(bool has_count, uint32_t count, bool has_enforcing, uint32_t enforcing,
                  uint32_t enforcing_default) {
  const uint32_t percent = has_enforcing ? enforcing : enforcing_default;
  return has_count && percent > 0 ? count : 0;
}

// A connect failure is a gateway failure to Envoy, and a local-origin one
// when those are split: the smallest enforced count of the three ejects.
OutlierSpec read_outlier(const cluster::OutlierDetection& proto) {
  OutlierSpec out;
  const uint32_t counts[] = {
      enforced(proto.has_consecutive_5xx(), proto.consecutive_5xx().value(),
               proto.has_enforcing_consecutive_5xx(), proto.enforcing_consecutive_5xx().value(),
               100),
      enforced(proto.has_consecutive_gateway_failure(), proto.consecutive_gateway_failure().value(),
               proto.has_enforcing_consecutive_gateway_failure(),
               proto.enforcing_consecutive_gateway_failure().value(), 0),
      proto.split_external_local_origin_errors()
          ? enforced(proto.has_consecutive_local_origin_failure(),
                     proto.consecutive_local_origin_failure().value(),
                     proto.has_enforcing_consecutive_local_origin_failure(),
                     proto.enforcing_consecutive_local_origin_failure().value(), 100)
          : 0};
  for (uint32_t count : counts) {
    if (count > 0 && (out.consecutive_failures == 0 || count < out.consecutive_failures)) {
      out.consecutive_failures = count;
    }
  }
  if (proto.has_base_ejection_time()) out.base_ejection = milliseconds(proto.base_ejection_time());
  if (proto.has_max_ejection_time()) out.max_ejection = milliseconds(proto.max_ejection_time());
  out.max_ejection = std::max(out.max_ejection, out.base_ejection);
  return out;
}

// The DEFAULT priority's max_connections, when set.
std::optional<uint32_t> max_connections(const cluster::CircuitBreakers& breakers) {
  for (const auto& threshold : breakers.thresholds()) {
    if (threshold.priority() == envoy::config::core::v3::DEFAULT &&
        threshold.has_max_connections()) {
      return threshold.max_connections().value();
    }
  }
  return std::nullopt;
}

DnsFamily family_of(Proto::DnsLookupFamily family) {
  switch (family) {
    case Proto::V4_ONLY:
      return DnsFamily::kV4Only;
    case Proto::V6_ONLY:
      return DnsFamily::kV6Only;
    case Proto::V4_PREFERRED:
      return DnsFamily::kV4Preferred;
    case Proto::ALL:
      return DnsFamily::kAll;
    default:
      return DnsFamily::kAuto;
  }
}

DnsSpec read_dns(const Proto& proto) {
  DnsSpec out;
  if (proto.has_dns_refresh_rate()) {
    out.refresh = std::max(milliseconds(proto.dns_refresh_rate()), kMinDnsRefresh);
  }
  out.respect_ttl = proto.respect_dns_ttl();
  out.family = family_of(proto.dns_lookup_family());
  return out;
}

}  // namespace

Decoded<Cluster> decode_cluster(const Proto& proto, const DecodeLimits& limits) {
  const auto fail = [&](std::string field, std::string message) {
    return Decoded<Cluster>{
        std::nullopt, {resource_path("cluster", proto.name()) + field, 0, std::move(message)}};
  };
  if (!valid_name(proto.name(), limits.max_name_bytes)) return fail("", "not a cluster name");
  Cluster out;
  out.name = proto.name();
  out.type = type_of(proto);
  if (out.type == ClusterType::kEds) {
    const std::string& service = proto.eds_cluster_config().service_name();
    if (!service.empty() && !valid_name(service, limits.max_name_bytes)) {
      return fail(".eds_cluster_config.service_name", "not a name");
    }
    out.eds_name = service.empty() ? proto.name() : service;
  }
  if (proto.has_connect_timeout()) out.connect_timeout = milliseconds(proto.connect_timeout());
  out.lb_policy = policy_of(proto.lb_policy());
  out.max_connections = max_connections(proto.circuit_breakers());
  if (proto.has_outlier_detection()) out.outlier = read_outlier(proto.outlier_detection());
  const bool dns = out.type == ClusterType::kStrictDns || out.type == ClusterType::kLogicalDns;
  if (dns) out.dns = read_dns(proto);
  if (proto.has_load_assignment() && out.type != ClusterType::kEds) {
    // An inline assignment may leave its cluster_name out: it is the cluster's.
    envoy::config::endpoint::v3::ClusterLoadAssignment assignment = proto.load_assignment();
    assignment.set_cluster_name(proto.name());
    Decoded<LoadAssignment> endpoints = decode_load_assignment(assignment, dns, limits);
    if (!endpoints.value) {
      const std::string inner = resource_path("endpoints", proto.name());
      return fail(".load_assignment" + endpoints.error.path.substr(inner.size()),
                  std::move(endpoints.error.message));
    }
    out.load_assignment = std::move(*endpoints.value);
  }
  return {std::move(out), {}};
}

}  // namespace meshgate::discovery::xds
