// From istiod's protobuf resources to the plain values of resources.h. Every
// resource is hostile until checked: names and counts are bounded, addresses
// must be IP literals, ports 1..65535. A resource that cannot be applied
// comes back as an error naming the field (the update is then NACKed); a
// filter chain meshgate does not serve is kept as unserved (resources.h).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "discovery/xds/resources.h"

namespace envoy::config::listener::v3 {
class Listener;
}
namespace envoy::config::cluster::v3 {
class Cluster;
}
namespace envoy::config::endpoint::v3 {
class ClusterLoadAssignment;
}

namespace meshgate::discovery::xds {

struct DecodeLimits {
  size_t max_name_bytes = 1024;        // resource and cluster names
  size_t max_filter_chains = 100'000;  // per listener
  size_t max_server_names = 1'000;     // per chain
  size_t max_alpn = 16;                // per chain
  size_t max_weighted_clusters = 64;   // per tcp_proxy
  size_t max_endpoints = 100'000;      // per assignment
  size_t max_localities = 10'000;      // per assignment
  uint32_t max_priority = 128;         // Envoy's own bound on priorities
};

// A value, or the error that keeps it from being applied.
template <typename T>
struct Decoded {
  std::optional<T> value;  // set exactly when error.message is empty
  base::Error error;       // path: the resource and the field; line 0
};

Decoded<Listener> decode_listener(const envoy::config::listener::v3::Listener& proto,
                                  const DecodeLimits& limits = {});
Decoded<Cluster> decode_cluster(const envoy::config::cluster::v3::Cluster& proto,
                                const DecodeLimits& limits = {});
// `hostnames`: addresses may be host names (a STRICT_DNS or LOGICAL_DNS
// cluster's inline endpoints); otherwise they must be IP literals.
Decoded<LoadAssignment> decode_load_assignment(
    const envoy::config::endpoint::v3::ClusterLoadAssignment& proto, bool hostnames = false,
    const DecodeLimits& limits = {});

// "listener NAME" (the name cut to 128 bytes), or "listener" when it has none:
// where an error's path starts.
std::string resource_path(std::string_view kind, std::string_view name);

// A resource or cluster name: 1..limit bytes of printable ASCII, no spaces.
bool valid_name(std::string_view name, size_t limit);
// A server name to match SNI against: a valid name of at most 253 bytes in
// lower case (names are matched in lower case), possibly "*." and a suffix.
bool valid_server_name(std::string_view name);

}  // namespace meshgate::discovery::xds
