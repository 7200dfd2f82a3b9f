#include "base/connection_table.h"

#include <algorithm>

namespace meshgate::base {

ConnectionTable::ConnectionTable(std::size_t max_total, std::size_t max_per_client) {
  set_limits(max_total, max_per_client);
}

void ConnectionTable::set_limits(std::size_t max_total, std::size_t max_per_client) {
  max_total_ = std::max<std::size_t>(max_total, 1);
  max_per_client_ = max_per_client;
}

ConnectionTable::Room ConnectionTable::make_room(const PrefixKey& client) {
  if (max_per_client_ > 0 && count(client) >= max_per_client_) {
    const auto own = std::find_if(lru_.begin(), lru_.end(),
                                  [&](const Entry& entry) { return entry.client == client; });
    return evict(own, Eviction::kClientCap);
  }
  if (index_.size() >= max_total_) return evict(lru_.begin(), Eviction::kFull);
  return {};
}

ConnectionTable::Room ConnectionTable::evict(Lru::iterator victim, Eviction why) {
  const uint64_t id = victim->id;
  remove(id);
  return {id, why};
}

void ConnectionTable::add(uint64_t id, const PrefixKey& client) {
  lru_.push_back({id, client});
  index_.emplace(id, std::prev(lru_.end()));
  ++per_client_[client];
}

void ConnectionTable::touch(uint64_t id) {
  const auto found = index_.find(id);
  if (found != index_.end()) lru_.splice(lru_.end(), lru_, found->second);
}

bool ConnectionTable::remove(uint64_t id) {
  const auto found = index_.find(id);
  if (found == index_.end()) return false;
  const auto client = per_client_.find(found->second->client);
  if (--client->second == 0) per_client_.erase(client);
  lru_.erase(found->second);
  index_.erase(found);
  return true;
}

std::size_t ConnectionTable::count(const PrefixKey& client) const {
  const auto found = per_client_.find(client);
  return found == per_client_.end() ? 0 : found->second;
}

std::vector<uint64_t> ConnectionTable::ids() const {
  std::vector<uint64_t> out;
  out.reserve(lru_.size());
  for (const Entry& entry : lru_)
    out.push_back(entry.id);
  return out;
}

}  // namespace meshgate::base
