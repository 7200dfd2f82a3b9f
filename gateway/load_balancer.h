// Picks an endpoint of a cluster. One LoadBalancer per worker thread, so no
// locks: weighted round robin (smooth, as nginx's: a weight-3 and a weight-1
// endpoint go A A B A, interleaved) or weighted least connections (fewest
// open connections per unit of weight, ties broken in rotation).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "gateway/route_table.h"

namespace meshgate::gateway {

class LoadBalancer {
 public:
  explicit LoadBalancer(config::LoadBalancing policy) : policy_(policy) {}

  // An index into cluster.endpoints not listed in `exclude`, or nullopt when
  // every endpoint is excluded. `table_version` lets per-cluster state reset
  // when the route table changes.
  std::optional<std::size_t> pick(const Cluster& cluster, uint64_t table_version,
                                  std::span<const std::size_t> exclude);

  // Connection accounting for least connections (called for either policy).
  void on_open(const asio::ip::tcp::endpoint& endpoint);
  void on_close(const asio::ip::tcp::endpoint& endpoint);
  uint32_t active(const asio::ip::tcp::endpoint& endpoint) const;

 private:
  struct ClusterState {
    uint64_t table_version = 0;
    std::vector<int64_t> current;  // smooth weighted round robin
    std::size_t rotation = 0;      // tie-break start for least connections
  };
  struct EndpointHash {
    std::size_t operator()(const asio::ip::tcp::endpoint& endpoint) const;
  };

  ClusterState& state_for(const Cluster& cluster, uint64_t table_version);
  std::optional<std::size_t> pick_round_robin(const Cluster& cluster, ClusterState& state,
                                              std::span<const std::size_t> exclude);
  std::optional<std::size_t> pick_least_connections(const Cluster& cluster, ClusterState& state,
                                                    std::span<const std::size_t> exclude);

  config::LoadBalancing policy_;
  std::unordered_map<std::string, ClusterState> clusters_;
  std::unordered_map<asio::ip::tcp::endpoint, uint32_t, EndpointHash> active_;
};

}  // namespace meshgate::gateway
