// Open connections per cluster, for clusters whose source sets a limit
// (istiod's circuit_breakers max_connections). One count per cluster name
// for the whole process: every worker's sessions share it, and so does every
// route table built with the same ClusterLimits, so a route change keeps the
// count of the connections still open. A count lives as long as a route
// table or a session holds it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace meshgate::gateway {

using OpenCount = std::atomic<uint32_t>;

class ClusterLimits {
 public:
  // The count of `cluster`: the one a route table still holds, else a new
  // one at 0. The control thread, while building a route table.
  std::shared_ptr<OpenCount> count(std::string_view cluster);
  size_t tracked() const;  // names with a live count
  size_t names() const;    // names in the map, live or not yet pruned

 private:
  void prune();

  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::weak_ptr<OpenCount>> counts_;
  size_t prune_at_ = 64;
};

// One connection counted against a cluster's limit; releases it when
// destroyed. Empty when the cluster has no limit.
class ClusterSlot {
 public:
  ClusterSlot() = default;
  // Takes a slot of `count` unless `limit` are taken; empty then.
  static ClusterSlot take(const std::shared_ptr<OpenCount>& count, uint32_t limit);
  ClusterSlot(ClusterSlot&& other) noexcept = default;
  ClusterSlot& operator=(ClusterSlot&& other) noexcept;
  ClusterSlot(const ClusterSlot&) = delete;
  ClusterSlot& operator=(const ClusterSlot&) = delete;
  ~ClusterSlot() { release(); }

  explicit operator bool() const { return count_ != nullptr; }
  void release();

 private:
  explicit ClusterSlot(std::shared_ptr<OpenCount> count) : count_(std::move(count)) {}
  std::shared_ptr<OpenCount> count_;
};

}  // namespace meshgate::gateway
