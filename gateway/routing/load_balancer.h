// Picks an endpoint of a cluster. One LoadBalancer per worker thread, so no
// locks: weighted round robin (smooth, as nginx's: a weight-3 and a weight-1
// endpoint go A A B A, interleaved) or weighted least connections (fewest
// open connections per unit of weight, ties broken in rotation). State
// survives new route tables unless the cluster's endpoints changed, and each
// worker starts a cluster at a random point, so workers do not all begin on
// the first endpoint.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "gateway/routing/outlier.h"
#include "gateway/routing/route_table.h"

namespace meshgate::gateway {

class LoadBalancer {
 public:
  // random_start false: every cluster starts at its first endpoint (tests).
  explicit LoadBalancer(config::LoadBalancing policy, bool random_start = true)
      : policy_(policy), random_start_(random_start) {}

  // An index into cluster.endpoints not listed in `exclude`, or nullopt when
  // every endpoint is excluded. `table_version` lets per-cluster state reset
  // when the route table changes. With `outliers`, endpoints ejected at `now`
  // are passed over too, unless every endpoint left is ejected: then they are
  // picked as if none were (a cluster never loses its last endpoints).
  std::optional<std::size_t> pick(const Cluster& cluster, uint64_t table_version,
                                  std::span<const std::size_t> exclude,
                                  const OutlierDetector* outliers = nullptr,
                                  OutlierDetector::Clock::time_point now = {});
  void set_policy(config::LoadBalancing policy) { policy_ = policy; }

  // Connection accounting for least connections (called for either policy).
  void on_open(const asio::ip::tcp::endpoint& endpoint);
  void on_close(const asio::ip::tcp::endpoint& endpoint);
  uint32_t active(const asio::ip::tcp::endpoint& endpoint) const;

 private:
  struct ClusterState {
    uint64_t table_version = 0;               // last table this cluster was picked from
    std::vector<UpstreamEndpoint> endpoints;  // as of that table
    std::vector<int64_t> current;             // smooth weighted round robin
    std::size_t rotation = 0;                 // tie-break start for least connections
  };
  struct EndpointHash {
    std::size_t operator()(const asio::ip::tcp::endpoint& endpoint) const;
  };

  ClusterState& state_for(const Cluster& cluster, uint64_t table_version);
  void reset(const Cluster& cluster, ClusterState& state);
  void prune(uint64_t table_version);
  // `skip(i)` is true for endpoints not to pick.
  template <typename Skip>
  std::optional<std::size_t> pick_with(const Cluster& cluster, ClusterState& state,
                                       const Skip& skip);
  template <typename Skip>
  std::optional<std::size_t> pick_round_robin(const Cluster& cluster, ClusterState& state,
                                              const Skip& skip);
  template <typename Skip>
  std::optional<std::size_t> pick_least_connections(const Cluster& cluster, ClusterState& state,
                                                    const Skip& skip);

  config::LoadBalancing policy_;
  bool random_start_;
  uint64_t newest_version_ = 0;
  std::minstd_rand random_{std::random_device{}()};
  std::unordered_map<std::string, ClusterState> clusters_;
  std::unordered_map<asio::ip::tcp::endpoint, uint32_t, EndpointHash> active_;
};

}  // namespace meshgate::gateway
