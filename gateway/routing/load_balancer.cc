#include "gateway/routing/load_balancer.h"

#include <algorithm>
#include <string_view>

namespace meshgate::gateway {
namespace {

bool excluded(std::size_t index, std::span<const std::size_t> exclude) {
  return std::find(exclude.begin(), exclude.end(), index) != exclude.end();
}

}  // namespace

std::size_t LoadBalancer::EndpointHash::operator()(const asio::ip::tcp::endpoint& endpoint) const {
  const asio::ip::address address = endpoint.address();
  std::size_t hash = 0;
  if (address.is_v4()) {
    hash = std::hash<uint32_t>{}(address.to_v4().to_uint());
  } else {
    const auto bytes = address.to_v6().to_bytes();
    hash = std::hash<std::string_view>{}(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }
  return hash ^ (std::size_t{endpoint.port()} * 0x9e3779b97f4a7c15ULL);
}

std::optional<std::size_t> LoadBalancer::pick(const Cluster& cluster, uint64_t table_version,
                                              std::span<const std::size_t> exclude,
                                              const OutlierDetector* outliers,
                                              OutlierDetector::Clock::time_point now) {
  ClusterState& state = state_for(cluster, table_version);
  const auto tried = [exclude](std::size_t i) { return excluded(i, exclude); };
  if (outliers != nullptr) {
    const auto tried_or_ejected = [&](std::size_t i) {
      return excluded(i, exclude) || outliers->ejected(cluster.endpoints[i].address, now);
    };
    if (auto index = pick_with(cluster, state, tried_or_ejected)) return index;
  }
  return pick_with(cluster, state, tried);
}

template <typename Skip>
std::optional<std::size_t> LoadBalancer::pick_with(const Cluster& cluster, ClusterState& state,
                                                   const Skip& skip) {
  return cluster.policy.balancing.value_or(policy_) == config::LoadBalancing::kRoundRobin
             ? pick_round_robin(cluster, state, skip)
             : pick_least_connections(cluster, state, skip);
}

LoadBalancer::ClusterState& LoadBalancer::state_for(const Cluster& cluster,
                                                    uint64_t table_version) {
  if (table_version > newest_version_) prune(table_version);
  auto [it, inserted] = clusters_.try_emplace(cluster.name);
  ClusterState& state = it->second;
  // Two clusters may share a name within one version (an istiod upstream and
  // the 15443 route of the same service keep different endpoints): a state
  // sized for other endpoints is never used.
  const bool resized = state.current.size() != cluster.endpoints.size();
  if (inserted || resized ||
      (state.table_version != table_version && state.endpoints != cluster.endpoints)) {
    reset(cluster, state);
  }
  state.table_version = table_version;
  return state;
}

void LoadBalancer::reset(const Cluster& cluster, ClusterState& state) {
  const std::size_t n = cluster.endpoints.size();
  state.endpoints = cluster.endpoints;
  state.current.assign(n, 0);
  state.rotation = 0;
  if (!random_start_ || n == 0) return;
  state.rotation = random_() % n;
  // Start round robin at a random point of its cycle (bounded work).
  const std::size_t steps = random_() % std::min<std::size_t>(n * 4, 64);
  const auto none = [](std::size_t) { return false; };
  for (std::size_t i = 0; i < steps; ++i)
    pick_round_robin(cluster, state, none);
}

// Forgets clusters not picked from since the table before this one.
void LoadBalancer::prune(uint64_t table_version) {
  const uint64_t previous = newest_version_;
  newest_version_ = table_version;
  std::erase_if(clusters_,
                [previous](const auto& entry) { return entry.second.table_version < previous; });
}

template <typename Skip>
std::optional<std::size_t> LoadBalancer::pick_round_robin(const Cluster& cluster,
                                                          ClusterState& state, const Skip& skip) {
  int64_t total = 0;
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < cluster.endpoints.size(); ++i) {
    if (skip(i)) continue;
    state.current[i] += cluster.endpoints[i].weight;
    total += cluster.endpoints[i].weight;
    if (!best || state.current[i] > state.current[*best]) best = i;
  }
  if (best) state.current[*best] -= total;
  return best;
}

template <typename Skip>
std::optional<std::size_t> LoadBalancer::pick_least_connections(const Cluster& cluster,
                                                                ClusterState& state,
                                                                const Skip& skip) {
  const std::size_t n = cluster.endpoints.size();
  std::optional<std::size_t> best;
  uint64_t best_load = 0;  // (active + 1) scaled by the other side's weight
  uint64_t best_weight = 1;
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = (state.rotation + k) % n;
    if (skip(i)) continue;
    const uint64_t load = active(cluster.endpoints[i].address) + 1;
    const uint64_t weight = cluster.endpoints[i].weight;
    // load/weight < best_load/best_weight, without division.
    if (!best || load * best_weight < best_load * weight) {
      best = i;
      best_load = load;
      best_weight = weight;
    }
  }
  if (n > 0) state.rotation = (state.rotation + 1) % n;
  return best;
}

void LoadBalancer::on_open(const asio::ip::tcp::endpoint& endpoint) {
  ++active_[endpoint];
}

void LoadBalancer::on_close(const asio::ip::tcp::endpoint& endpoint) {
  auto it = active_.find(endpoint);
  if (it == active_.end()) return;
  if (--it->second == 0) active_.erase(it);
}

uint32_t LoadBalancer::active(const asio::ip::tcp::endpoint& endpoint) const {
  auto it = active_.find(endpoint);
  return it == active_.end() ? 0 : it->second;
}

}  // namespace meshgate::gateway
