// Response rate limiting per client prefix.
#include "dns-global/rate_limiter.h"

#include <algorithm>
#include <cstring>
#include <random>

namespace meshgate::dns {
namespace {

// splitmix64's finaliser: every input bit moves every output bit.
uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

bool is_v4_mapped(const config::IpAddress& address) {
  static constexpr std::array<uint8_t, 12> kPrefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return address.v6 && std::equal(kPrefix.begin(), kPrefix.end(), address.bytes.begin());
}

// Clears every bit after the first `prefix` of `bytes`.
void clear_host_bits(std::array<uint8_t, 16>& bytes, uint32_t prefix) {
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const uint32_t start = static_cast<uint32_t>(i) * 8;
    if (prefix >= start + 8) continue;
    const uint32_t kept = prefix > start ? prefix - start : 0;
    bytes[i] &= static_cast<uint8_t>(0xFF00U >> kept);
  }
}

}  // namespace

std::size_t RateLimiter::KeyHash::operator()(const Key& key) const {
  uint64_t high = 0;
  uint64_t low = 0;
  std::memcpy(&high, key.bytes.data(), sizeof high);
  std::memcpy(&low, key.bytes.data() + sizeof high, sizeof low);
  // Seeded per process: sources are chosen by whoever sends the packets, and
  // an unseeded hash would let them pile every prefix into one bucket.
  return static_cast<std::size_t>(mix(mix(high ^ seed) ^ low ^ (key.v6 ? 1U : 0U)));
}

RateLimiter::RateLimiter(const config::DnsRateLimit& config)
    : slip_(config.slip),
      ipv4_prefix_(std::min<uint32_t>(config.ipv4_prefix_length, 32)),
      ipv6_prefix_(std::min<uint32_t>(config.ipv6_prefix_length, 128)),
      max_tracked_(std::max<std::size_t>(config.max_tracked_prefixes, 1)),
      index_(0, KeyHash{std::random_device{}()}) {
  if (config.responses_per_second == 0) return;
  interval_ = std::max<Clock::duration>(
      std::chrono::duration_cast<Clock::duration>(std::chrono::seconds(1)) /
          config.responses_per_second,
      Clock::duration(1));
  const uint32_t burst = config.burst != 0 ? config.burst : config.responses_per_second;
  capacity_ = interval_ * burst;
}

RateLimiter::Key RateLimiter::key_of(const config::IpAddress& client) const {
  Key key;
  if (!client.v6 || is_v4_mapped(client)) {
    const std::size_t from = client.v6 ? 12 : 0;
    std::copy_n(client.bytes.begin() + static_cast<std::ptrdiff_t>(from), 4, key.bytes.begin());
    clear_host_bits(key.bytes, ipv4_prefix_);
    return key;
  }
  key.v6 = true;
  key.bytes = client.bytes;
  clear_host_bits(key.bytes, ipv6_prefix_);
  return key;
}

RateLimiter::Entry& RateLimiter::find_or_track(const Key& key, Clock::time_point now) {
  if (const auto found = index_.find(key); found != index_.end()) {
    lru_.splice(lru_.begin(), lru_, found->second);
    return lru_.front();
  }
  if (index_.size() >= max_tracked_) {
    // The least recently seen prefix makes room; its node is reused, so a
    // full table allocates nothing more.
    index_.erase(lru_.back().key);
    lru_.splice(lru_.begin(), lru_, std::prev(lru_.end()));
    lru_.front() = Entry{key, now, 0};
  } else {
    lru_.push_front(Entry{key, now, 0});
  }
  index_.emplace(key, lru_.begin());
  return lru_.front();
}

RateLimiter::Verdict RateLimiter::admit(const config::IpAddress& client, Clock::time_point now) {
  if (!enabled()) return Verdict::kAnswer;
  Entry& entry = find_or_track(key_of(client), now);
  const Clock::time_point next = std::max(entry.full_at, now) + interval_;
  if (next - now <= capacity_) {
    entry.full_at = next;
    return Verdict::kAnswer;
  }
  if (slip_ != 0 && ++entry.dropped >= slip_) {
    entry.dropped = 0;
    return Verdict::kSlip;
  }
  return Verdict::kDrop;
}

}  // namespace meshgate::dns
