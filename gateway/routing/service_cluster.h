// One service's share of the routes, built without the rest of the
// snapshot: the cluster of one service port (and subset) under given
// RouteOptions, and the service a host names. RouteTable builds each of its
// clusters with the first; the istiod upstreams use both, so looking up one
// upstream builds one cluster, not a whole route table.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/asio.h"
#include "discovery/model.h"
#include "discovery/snapshot.h"
#include "gateway/routing/route_table.h"
#include "gateway/routing/target_guard.h"

namespace meshgate::gateway {

// "<name>.<ns>.svc.<domain>": a Kubernetes service's host.
std::string canonical_host(std::string_view name, std::string_view ns, std::string_view domain);

// "outbound|<port>|<subset>|<fqdn>", as Istio names clusters.
std::string cluster_name(uint16_t port, std::string_view subset, std::string_view fqdn);

// True when an endpoint may serve this gateway: its network is empty or
// options.network, and it is mTLS-capable unless options say otherwise.
bool endpoint_usable(const discovery::Endpoint& endpoint, const RouteOptions& options);

// Told of each endpoint the TargetGuard refuses (the route table's log).
using RefusalNote = std::function<void(const asio::ip::tcp::endpoint&, TargetRefusal)>;

// The cluster of `port` of `service` (only `subset`'s endpoints when not
// null), named for `host`: its usable endpoints (endpoint_usable) that serve
// the port, have an IP address and pass options.targets (refused ones are
// counted in Cluster::refused and told to `on_refused`). None at all when
// mTLS is required and a DestinationRule makes the cluster plaintext.
Cluster service_cluster(const discovery::Service& service, std::string_view host,
                        const discovery::ServicePort& port, const discovery::Subset* subset,
                        const RouteOptions& options, const RefusalNote& on_refused = {});

// The service `host` routes to, as RouteTable::build maps hosts: the first
// service (in snapshot order) whose host or one of whose `hostnames` it is,
// else the service of an alias of that host, else the same for the host's
// .global rewrite. Null when none. Allocates nothing unless aliases are
// consulted; linear in the number of services, but builds no cluster.
const discovery::Service* service_for_host(const discovery::Snapshot& snapshot,
                                           std::string_view host, std::string_view cluster_domain);

}  // namespace meshgate::gateway
