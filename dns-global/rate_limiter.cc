// Response rate limiting per client prefix.
#include "dns-global/rate_limiter.h"

#include <algorithm>
#include <span>

namespace meshgate::dns {

RateLimiter::RateLimiter(const config::DnsRateLimit& config)
    : slip_(config.slip),
      ipv4_prefix_(std::min<uint32_t>(config.ipv4_prefix_length, 32)),
      ipv6_prefix_(std::min<uint32_t>(config.ipv6_prefix_length, 128)),
      max_tracked_(std::max<std::size_t>(config.max_tracked_prefixes, 1)),
      index_(0, base::PrefixKeyHash{}) {
  if (config.responses_per_second == 0) return;
  interval_ = std::max<Clock::duration>(
      std::chrono::duration_cast<Clock::duration>(std::chrono::seconds(1)) /
          config.responses_per_second,
      Clock::duration(1));
  const uint32_t burst = config.burst != 0 ? config.burst : config.responses_per_second;
  capacity_ = interval_ * burst;
}

RateLimiter::Key RateLimiter::key_of(const base::IpAddress& client) const {
  const std::span<const uint8_t> address(client.bytes.data(), client.v6 ? 16 : 4);
  return base::prefix_key(address, ipv4_prefix_, ipv6_prefix_);
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

RateLimiter::Verdict RateLimiter::admit(const base::IpAddress& client, Clock::time_point now) {
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
