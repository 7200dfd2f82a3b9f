// Who holds a server's connection slots, and who gives one up for a
// newcomer. A server that faces the internet must not let the first comers
// keep every slot: when a new connection would go over the total or over
// its client's cap, the connection that has gone longest without finishing
// anything (its client's own, for the client cap) is evicted instead of the
// newcomer being refused. A probe on a fresh connection is then always
// served: it is the newest, and the eviction takes the oldest idle or
// stalled one. Pure bookkeeping by id, no sockets; one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <unordered_map>
#include <vector>

#include "base/prefix_key.h"

namespace meshgate::base {

class ConnectionTable {
 public:
  enum class Eviction { kNone, kFull, kClientCap };
  struct Room {
    uint64_t evict = 0;  // the id to close now (0: none); already out of the table
    Eviction why = Eviction::kNone;
  };

  // max_total >= 1; max_per_client 0: no per-client cap.
  ConnectionTable(std::size_t max_total, std::size_t max_per_client);
  // New limits apply to the next make_room(); nobody is evicted now.
  void set_limits(std::size_t max_total, std::size_t max_per_client);

  // Before add(): takes out the one connection that must make room for one
  // more from `client`, if any. Call until it returns no id (limits lowered
  // by set_limits() may need more than one).
  Room make_room(const PrefixKey& client);
  // `id` (not 0, not in the table) is the most recently active connection.
  void add(uint64_t id, const PrefixKey& client);
  // `id` finished something (a response written): now the most recently active.
  void touch(uint64_t id);
  // False when `id` is not in the table (evicted before).
  bool remove(uint64_t id);

  std::size_t size() const { return index_.size(); }
  std::size_t count(const PrefixKey& client) const;
  // Least recently active first.
  std::vector<uint64_t> ids() const;

 private:
  struct Entry {
    uint64_t id;
    PrefixKey client;
  };
  using Lru = std::list<Entry>;  // least recently active first

  Room evict(Lru::iterator victim, Eviction why);

  std::size_t max_total_;
  std::size_t max_per_client_;
  Lru lru_;
  std::unordered_map<uint64_t, Lru::iterator> index_;
  std::unordered_map<PrefixKey, std::size_t, PrefixKeyHash> per_client_;
};

}  // namespace meshgate::base
