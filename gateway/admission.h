// Whether one more connection may be served, asked once at accept by every
// worker, and what it holds until it closes. Three limits, each with its
// own refusal:
// - open connections on all TCP listeners against limits.max_connections
//   (over_capacity);
// - a client's own (its IPv4 address or IPv6 /64) against
//   limits.max_connections_per_client, when that is not 0 (over_client_limit);
// - the descriptors the data path may still open against its budget: what
//   RLIMIT_NOFILE leaves once listeners, health, metrics, admin, DNS,
//   discovery and files have their reserve (no_descriptors). A connection
//   takes two (its socket and its upstream's); a splice pipe takes two more
//   while it exists, or the relay copies instead. The process refuses before
//   it runs out, never after.
// Thread-safe; the per-client table is only touched when its cap is on.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "base/asio.h"
#include "base/prefix_key.h"
#include "gateway/close_reason.h"

namespace meshgate::gateway {

class Admission;

// One admitted connection's share; gives it back when destroyed or reset.
class AdmissionTicket {
 public:
  AdmissionTicket() = default;
  AdmissionTicket(AdmissionTicket&& other) noexcept { *this = std::move(other); }
  AdmissionTicket& operator=(AdmissionTicket&& other) noexcept;
  ~AdmissionTicket() { reset(); }

  bool valid() const { return owner_ != nullptr; }
  void reset();

 private:
  friend class Admission;
  Admission* owner_ = nullptr;
  base::PrefixKey client_;
  bool per_client_ = false;  // counted in the per-client table
};

class Admission {
 public:
  // Descriptors one relayed connection holds: its two sockets.
  static constexpr uint32_t kDescriptorsPerConnection = 2;
  static constexpr uint32_t kDescriptorsPerPipe = 2;

  Admission(uint32_t max_connections, uint32_t max_per_client, uint64_t descriptor_budget);

  // A valid ticket, or an invalid one with *refusal set.
  AdmissionTicket admit(const asio::ip::address& client, CloseReason* refusal);
  // A reload: applies to the next admit().
  void set_limits(uint32_t max_connections, uint32_t max_per_client);
  void set_descriptor_budget(uint64_t budget);

  // For splice pipes: false (nothing taken) when the budget has no room.
  bool take_descriptors(uint32_t n);
  void give_descriptors(uint32_t n);

  uint32_t open() const { return open_.load(std::memory_order_relaxed); }
  uint64_t descriptors_in_use() const { return descriptors_.load(std::memory_order_relaxed); }
  uint64_t descriptor_budget() const { return budget_.load(std::memory_order_relaxed); }
  // min(limits.max_connections, what the budget holds with no pipe lent).
  uint64_t effective_max_connections() const;

 private:
  friend class AdmissionTicket;
  static constexpr std::size_t kShards = 16;
  struct Shard {
    std::mutex mutex;
    std::unordered_map<base::PrefixKey, uint32_t, base::PrefixKeyHash> open;
  };

  bool take_connection();
  bool take_client(const base::PrefixKey& client, uint32_t cap);
  void release(const AdmissionTicket& ticket);
  Shard& shard_of(const base::PrefixKey& client);

  std::atomic<uint32_t> max_connections_;
  std::atomic<uint32_t> max_per_client_;
  std::atomic<uint64_t> budget_;
  std::atomic<uint32_t> open_{0};
  std::atomic<uint64_t> descriptors_{0};
  const base::PrefixKeyHash shard_hash_;
  std::array<Shard, kShards> shards_;
};

// The client's key for per-client limits: its IPv4 address or IPv6 /64.
base::PrefixKey client_key(const asio::ip::address& address);

}  // namespace meshgate::gateway
