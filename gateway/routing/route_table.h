// The 15443 routing view of one registry snapshot: host -> port -> subset ->
// cluster of endpoints already filtered to this gateway's network (and to
// mTLS-capable endpoints when required). Built off the data path, once per
// snapshot, then shared read-only by every worker.
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
  static std::shared_ptr<const RouteTable> build(const discovery::Snapshot& snapshot,
                                                 const RouteOptions& options);

  // Looks up a parsed SNI: exact host first, then its .global rewrite. A plain
  // host (no outbound_ prefix) routes only when its service has one port.
  RouteLookup find(const sni::IstioName& name) const;

  uint64_t version() const { return version_; }
  std::size_t cluster_count() const { return clusters_.size(); }
  // Endpoint ports left out by the TargetGuard, each counted once (not once
  // per subset), and a few of them for the log ("10.0.0.7:15443 of x.ns: self").
  uint64_t refused(TargetRefusal reason) const {
    return refused_[static_cast<std::size_t>(reason)];
  }
  const std::vector<std::string>& refused_examples() const { return refused_examples_; }
  // Every cluster, in build order (admin views; not a data-path call).
  const std::deque<Cluster>& clusters() const { return clusters_; }
  std::string_view cluster_domain() const { return options_.cluster_domain; }

 private:
  struct PortRoutes {
    const Cluster* all = nullptr;
    std::map<std::string, const Cluster*, std::less<>> subsets;
  };
  struct HostRoutes {
    std::map<uint16_t, PortRoutes> ports;
  };

  void add_service(const discovery::Service& service);
  const Cluster* add_cluster(const discovery::Service& service, const std::string& host,
                             const discovery::ServicePort& port, const discovery::Subset* subset);
  void note_refused(const asio::ip::tcp::endpoint& target, const discovery::Service& service,
                    TargetRefusal refusal);
  static constexpr std::size_t kRefusedExamples = 3;
  const HostRoutes* find_host(std::string_view host) const;

  RouteOptions options_;
  uint64_t version_ = 0;
  std::array<uint64_t, 3> refused_{};
  std::vector<std::string> refused_examples_;
  std::deque<Cluster> clusters_;  // stable addresses
  std::deque<HostRoutes> services_;
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, const HostRoutes*, StringHash, std::equal_to<>> hosts_;
};

using RouteTablePtr = std::shared_ptr<const RouteTable>;

}  // namespace meshgate::gateway
