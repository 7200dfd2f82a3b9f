#include "gateway/routing/cluster_limits.h"

#include <algorithm>
#include <utility>

namespace meshgate::gateway {

std::shared_ptr<OpenCount> ClusterLimits::count(std::string_view cluster) {
  std::lock_guard lock(mutex_);
  std::weak_ptr<OpenCount>& slot = counts_[std::string(cluster)];
  std::shared_ptr<OpenCount> live = slot.lock();
  if (!live) {
    live = std::make_shared<OpenCount>(0);
    slot = live;
  }
  if (counts_.size() >= prune_at_) prune();
  return live;
}

size_t ClusterLimits::tracked() const {
  std::lock_guard lock(mutex_);
  size_t live = 0;
  for (const auto& [name, count] : counts_)
    live += count.expired() ? 0 : 1;
  return live;
}

size_t ClusterLimits::names() const {
  std::lock_guard lock(mutex_);
  return counts_.size();
}

// Drops the names no table or session holds any more; the map stays within
// twice the live names, whatever the churn of cluster names.
void ClusterLimits::prune() {
  std::erase_if(counts_, [](const auto& entry) { return entry.second.expired(); });
  prune_at_ = std::max<size_t>(64, 2 * counts_.size());
}

ClusterSlot ClusterSlot::take(const std::shared_ptr<OpenCount>& count, uint32_t limit) {
  uint32_t open = count->load(std::memory_order_relaxed);
  do {
    if (open >= limit) return {};
  } while (!count->compare_exchange_weak(open, open + 1, std::memory_order_relaxed));
  return ClusterSlot(count);
}

ClusterSlot& ClusterSlot::operator=(ClusterSlot&& other) noexcept {
  if (this != &other) {
    release();
    count_ = std::move(other.count_);
  }
  return *this;
}

void ClusterSlot::release() {
  if (count_) count_->fetch_sub(1, std::memory_order_relaxed);
  count_.reset();
}

}  // namespace meshgate::gateway
