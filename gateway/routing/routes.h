// What the workers route with: the 15443 route table of the newest snapshot
// and the upstream cluster of each istiod port. Published as one immutable
// value; every publish gets a new version, so per-worker load-balancer state
// can tell tables apart.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "discovery/snapshot.h"
#include "gateway/routing/listener_kind.h"
#include "gateway/routing/route_table.h"

namespace meshgate::gateway {

using ClusterPtr = std::shared_ptr<const Cluster>;
using ConfigPtr = std::shared_ptr<const config::Config>;

struct Routes {
  uint64_t version = 0;
  RouteTablePtr table;  // null before the first snapshot
  // Indexed by ListenerKind; the passthrough slot stays empty (it routes by SNI).
  std::array<ClusterPtr, kListenerKindCount> upstreams;

  const ClusterPtr& upstream(ListenerKind kind) const { return upstreams[index_of(kind)]; }
};

using RoutesPtr = std::shared_ptr<const Routes>;

// "outbound|15012||istiod.istio-system.svc": the cluster name of an upstream
// named in config.
std::string upstream_cluster_name(const config::Upstream& upstream);

// The cluster for `upstream` from a snapshot: the service whose host is
// upstream.host or upstream.host + "." + cluster_domain, its port
// upstream.port, and its endpoints on `network`. mTLS capability is not
// required: istiod runs without a sidecar. Nullopt when no service matches,
// or when it has no endpoint on this network (DNS may know better). The
// same cluster the 15443 table would have, but only that one is built.
std::optional<Cluster> upstream_from_registry(const discovery::Snapshot& snapshot,
                                              const config::Upstream& upstream,
                                              std::string_view network,
                                              std::string_view cluster_domain);

// `cluster` without the endpoints `targets` refuses (counted in `refused`).
ClusterPtr guarded(const Cluster& cluster, const TargetGuard& targets);

// The cluster for `upstream` from DNS answers (duplicates dropped).
Cluster upstream_from_addresses(const config::Upstream& upstream,
                                const std::vector<asio::ip::tcp::endpoint>& addresses);

// Takes a new Routes to one worker's own loop.
using RouteSubscriber = std::function<void(const RoutesPtr&)>;

// Hands each new Routes to every worker's own loop. Any thread may change a
// part; each change publishes a whole new Routes. The registry's
// subscription may outlive the workers: detach() makes later publishes reach
// nobody.
class RoutePublisher {
 public:
  // Without options.limits, the publisher keeps counts of its own for every
  // table it builds.
  explicit RoutePublisher(RouteOptions options);

  void attach(std::vector<RouteSubscriber> subscribers);
  void detach() { attach({}); }
  // Rebuilds the 15443 table from `snapshot` (off the data path).
  void set_snapshot(discovery::SnapshotPtr snapshot);
  // Rebuilds the table from the last snapshot when the options changed (reload).
  void set_options(RouteOptions options);
  // The upstream cluster of an istiod port, less what the guard refuses.
  void set_upstream(ListenerKind kind, ClusterPtr cluster);
  RoutesPtr latest() const;

 private:
  void rebuild_locked();
  void publish_locked();

  mutable std::mutex mutex_;
  std::vector<RouteSubscriber> subscribers_;
  RouteOptions options_;
  discovery::SnapshotPtr snapshot_;
  Routes next_;
  std::array<ClusterPtr, kListenerKindCount> raw_upstreams_;  // as set, before the guard
  RoutesPtr latest_ = std::make_shared<const Routes>();
  uint64_t last_refused_ = 0;  // logged when it changes
};

}  // namespace meshgate::gateway
