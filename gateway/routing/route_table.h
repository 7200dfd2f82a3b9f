// The 15443 routing view of one registry snapshot: host -> port -> subset ->
// cluster of endpoints already filtered to this gateway's network (and to
// mTLS-capable endpoints when required). Built off the data path, once per
// snapshot, then shared read-only by every worker. Each service's routes are
// built once and shared with the next table while the snapshot shares the
// service and the options stay the same, and the next table copies this
// one's host index (one flat array) and patches the hosts of the services
// that changed: a change costs what changed plus one copy.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/asio.h"
#include "config/config.h"
#include "discovery/snapshot.h"
#include "gateway/routing/cluster_limits.h"
#include "gateway/routing/host_index.h"
#include "gateway/routing/target_guard.h"
#include "sni/istio_name.h"

namespace meshgate::gateway {

struct UpstreamEndpoint {
  asio::ip::tcp::endpoint address;
  uint32_t weight = 1;
  bool operator==(const UpstreamEndpoint&) const = default;
};

// How a cluster is dialled where its source says (discovery::ClusterSettings);
// each unset field leaves the gateway's config in force.
struct ClusterPolicy {
  std::optional<std::chrono::milliseconds> connect_timeout = std::nullopt;  // timeouts.connect
  std::optional<config::LoadBalancing> balancing = std::nullopt;  // passthrough.load_balancing
  std::optional<config::Outlier> outlier = std::nullopt;          // outlier
  std::optional<uint32_t> max_connections = std::nullopt;         // no limit
  // With max_connections and RouteOptions::limits: shared by every worker.
  std::shared_ptr<OpenCount> open = nullptr;
  bool operator==(const ClusterPolicy&) const = default;
};

struct Cluster {
  std::string name;  // outbound|<port>|<subset>|<fqdn>, as Istio names clusters
  std::vector<UpstreamEndpoint> endpoints;
  // Endpoints left out by the TargetGuard, by reason (TargetRefusal).
  std::array<uint32_t, 3> refused{};
  ClusterPolicy policy{};
  bool operator==(const Cluster&) const = default;
};

struct RouteOptions {
  std::string network;         // this gateway's network
  std::string cluster_domain;  // for <name>.<ns>.svc.<domain> and the .global rewrite
  bool require_mtls_endpoints = true;
  TargetGuard targets;  // endpoints never dialled
  // The open-connection counts of clusters with a limit; null: limits are
  // not enforced (a count per table, for tests that need none).
  std::shared_ptr<ClusterLimits> limits = nullptr;
  bool operator==(const RouteOptions&) const = default;
};

// Why a name has no route; the session closes the connection with the
// close reason of the same name.
enum class RouteMiss {
  kUnknownService,  // no such host, port or subset
  kNoEndpoint,      // the cluster exists, but no endpoint is usable
};

struct RouteLookup {
  const Cluster* cluster = nullptr;  // the route, or null
  // Why there is none: set exactly when cluster is null.
  std::optional<RouteMiss> reason = RouteMiss::kUnknownService;
  const char* detail = "";  // why not found, for debug logs
};

class RouteTable {
 public:
  // `previous`, when given, lends the routes of every service it shares
  // with `snapshot` (built with equal options).
  static std::shared_ptr<const RouteTable> build(const discovery::Snapshot& snapshot,
                                                 const RouteOptions& options,
                                                 const RouteTable* previous = nullptr);

  // Looks up a parsed SNI: exact host first, then its .global rewrite. A plain
  // host (no outbound_ prefix) routes only when its service has one port.
  RouteLookup find(const sni::IstioName& name) const;

  uint64_t version() const { return version_; }
  std::size_t cluster_count() const { return cluster_count_; }
  // Endpoint ports left out by the TargetGuard, each counted once (not once
  // per subset), and a few of them for the log ("10.0.0.7:15443 of x.ns: self").
  uint64_t refused(TargetRefusal reason) const {
    return refused_[static_cast<std::size_t>(reason)];
  }
  const std::vector<std::string>& refused_examples() const { return refused_examples_; }
  // Every cluster, in build order (admin views; not a data-path call).
  std::vector<const Cluster*> clusters() const;
  // Services whose routes were built for this table, not lent by the previous one.
  std::size_t services_built() const { return services_built_; }
  // True when the host index was the previous table's, patched.
  bool index_patched() const { return index_patched_; }
  std::string_view cluster_domain() const { return options_.cluster_domain; }

 private:
  struct PortRoutes {
    const Cluster* all = nullptr;
    std::map<std::string, const Cluster*, std::less<>> subsets;
  };
  struct HostRoutes {
    std::map<uint16_t, PortRoutes> ports;
  };
  struct ServiceRoutes;  // one service's routes, shared between tables
  using ServiceRoutesPtr = std::shared_ptr<const ServiceRoutes>;
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // Alias hosts (views into aliases_) by the host they route to.
  using AliasTargets =
      std::unordered_map<std::string, std::vector<std::string_view>, StringHash, std::equal_to<>>;
  static constexpr std::size_t kRefusedExamples = 3;

  static ServiceRoutesPtr build_service(const discovery::ServicePtr& service,
                                        const RouteOptions& options);
  // services_ from `snapshot`, borrowed from `previous` where it has the
  // same service; the others are built (`fresh`), and those of `previous`
  // not kept are `gone`.
  void collect(const discovery::Snapshot& snapshot, const RouteTable* previous,
               std::vector<const ServiceRoutes*>& fresh, std::vector<const ServiceRoutes*>& gone);
  void index_all();
  // hosts_ as previous's with the hosts of `gone` and `fresh` patched;
  // false when a host would be claimed twice (then index_all()).
  bool patch(const RouteTable& previous, const std::vector<const ServiceRoutes*>& fresh,
             const std::vector<const ServiceRoutes*>& gone);
  // The alias hosts that route to one of `routes`' hosts.
  template <typename Fn>
  void each_alias_of(const ServiceRoutes& routes, Fn fn) const;
  void count_services();
  const HostRoutes* find_host(std::string_view host) const;

  RouteOptions options_;
  uint64_t version_ = 0;
  std::size_t cluster_count_ = 0;
  std::size_t services_built_ = 0;
  std::array<uint64_t, 3> refused_{};
  std::vector<std::string> refused_examples_;
  std::vector<ServiceRoutesPtr> services_;  // in snapshot order
  discovery::AliasesPtr aliases_;           // the snapshot's
  std::shared_ptr<const AliasTargets> alias_targets_;
  // A host claimed twice, or an alias that a host or another alias shadows:
  // which one wins depends on order, so the next table indexes everything.
  bool entangled_ = false;
  bool index_patched_ = false;
  // Keys are views into services_ (their hosts and the services' hostnames)
  // and aliases_, all kept alive by this table.
  HostIndex<HostRoutes> hosts_;
};

using RouteTablePtr = std::shared_ptr<const RouteTable>;

}  // namespace meshgate::gateway
