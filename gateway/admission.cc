#include "gateway/admission.h"

#include <algorithm>

namespace meshgate::gateway {

base::PrefixKey client_key(const asio::ip::address& address) {
  if (address.is_v4()) return base::prefix_key(address.to_v4().to_bytes(), 32, 64);
  return base::prefix_key(address.to_v6().to_bytes(), 32, 64);
}

AdmissionTicket& AdmissionTicket::operator=(AdmissionTicket&& other) noexcept {
  if (this != &other) {
    reset();
    owner_ = std::exchange(other.owner_, nullptr);
    client_ = other.client_;
    per_client_ = other.per_client_;
  }
  return *this;
}

void AdmissionTicket::reset() {
  if (owner_ == nullptr) return;
  owner_->release(*this);
  owner_ = nullptr;
}

Admission::Admission(uint32_t max_connections, uint32_t max_per_client, uint64_t descriptor_budget)
    : max_connections_(max_connections),
      max_per_client_(max_per_client),
      budget_(descriptor_budget) {}

AdmissionTicket Admission::admit(const asio::ip::address& client, CloseReason* refusal) {
  AdmissionTicket ticket;
  if (!take_connection()) {
    *refusal = CloseReason::kOverCapacity;
    return ticket;
  }
  ticket.owner_ = this;  // from here on, the ticket gives back what was taken
  if (!take_descriptors(kDescriptorsPerConnection)) {
    open_.fetch_sub(1, std::memory_order_relaxed);
    ticket.owner_ = nullptr;
    *refusal = CloseReason::kNoDescriptors;
    return ticket;
  }
  const uint32_t cap = max_per_client_.load(std::memory_order_relaxed);
  if (cap == 0) return ticket;
  ticket.client_ = client_key(client);
  if (!take_client(ticket.client_, cap)) {
    ticket.reset();
    *refusal = CloseReason::kOverClientLimit;
    return ticket;
  }
  ticket.per_client_ = true;
  return ticket;
}

bool Admission::take_connection() {
  const uint32_t max = max_connections_.load(std::memory_order_relaxed);
  uint32_t open = open_.load(std::memory_order_relaxed);
  do {
    if (open >= max) return false;
  } while (!open_.compare_exchange_weak(open, open + 1, std::memory_order_relaxed));
  return true;
}

bool Admission::take_descriptors(uint32_t n) {
  const uint64_t budget = budget_.load(std::memory_order_relaxed);
  uint64_t used = descriptors_.load(std::memory_order_relaxed);
  do {
    if (used + n > budget) return false;
  } while (!descriptors_.compare_exchange_weak(used, used + n, std::memory_order_relaxed));
  return true;
}

void Admission::give_descriptors(uint32_t n) {
  descriptors_.fetch_sub(n, std::memory_order_relaxed);
}

bool Admission::take_client(const base::PrefixKey& client, uint32_t cap) {
  Shard& shard = shard_of(client);
  std::lock_guard lock(shard.mutex);
  uint32_t& open = shard.open[client];
  if (open >= cap) {
    if (open == 0) shard.open.erase(client);
    return false;
  }
  ++open;
  return true;
}

void Admission::release(const AdmissionTicket& ticket) {
  open_.fetch_sub(1, std::memory_order_relaxed);
  give_descriptors(kDescriptorsPerConnection);
  if (!ticket.per_client_) return;
  Shard& shard = shard_of(ticket.client_);
  std::lock_guard lock(shard.mutex);
  const auto found = shard.open.find(ticket.client_);
  if (found != shard.open.end() && --found->second == 0) shard.open.erase(found);
}

Admission::Shard& Admission::shard_of(const base::PrefixKey& client) {
  return shards_[shard_hash_(client) % kShards];
}

void Admission::set_limits(uint32_t max_connections, uint32_t max_per_client) {
  max_connections_.store(max_connections, std::memory_order_relaxed);
  max_per_client_.store(max_per_client, std::memory_order_relaxed);
}

void Admission::set_descriptor_budget(uint64_t budget) {
  budget_.store(budget, std::memory_order_relaxed);
}

uint64_t Admission::effective_max_connections() const {
  return std::min<uint64_t>(max_connections_.load(std::memory_order_relaxed),
                            descriptor_budget() / kDescriptorsPerConnection);
}

}  // namespace meshgate::gateway
