// Response rate limiting (RRL) for UDP answers, per client prefix. UDP does
// not prove the source address, so a spoofed flood can turn any answer into
// traffic aimed at a victim; limiting answers per prefix caps what one
// victim network can be sent. TCP proves the source and is never limited.
//
// One token bucket per prefix (dns.rate_limit.ipv4_prefix_length /
// ipv6_prefix_length), `responses_per_second` tokens a second, at most
// `burst` held. An answer over the limit is dropped, except every `slip`-th
// one, which goes out truncated (TC, no records) so that an honest client
// behind the prefix retries over TCP and is answered there.
//
// The table holds at most `max_tracked_prefixes` prefixes; when full, the
// least recently seen one is forgotten (it comes back with a full bucket).
// A flood from spoofed sources therefore costs bounded memory, never more.
// Time is passed in, so tests need no clock. Not thread-safe: the DNS thread
// owns it.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <unordered_map>

#include "base/ip.h"
#include "base/prefix_key.h"
#include "config/config.h"

namespace meshgate::dns {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Verdict { kAnswer, kDrop, kSlip };

  explicit RateLimiter(const config::DnsRateLimit& config);

  // Whether limiting is on (responses_per_second > 0).
  bool enabled() const { return interval_.count() > 0; }
  // Takes a token for an answer to `client` at `now`. Always kAnswer when off.
  Verdict admit(const base::IpAddress& client, Clock::time_point now);
  std::size_t tracked() const { return index_.size(); }

 private:
  // A client's prefix: the address with the host bits cleared. IPv4-mapped
  // IPv6 addresses are taken as the IPv4 address they carry.
  using Key = base::PrefixKey;
  // A bucket as a theoretical arrival time (GCRA): the bucket is full once
  // `now` reaches `full_at`, and each answer pushes it one interval later.
  // One time point per prefix, no floating point.
  struct Entry {
    Key key;
    Clock::time_point full_at;
    uint32_t dropped = 0;  // answers over the limit since the last slip
  };
  using Lru = std::list<Entry>;  // most recently seen first

  Key key_of(const base::IpAddress& client) const;
  Entry& find_or_track(const Key& key, Clock::time_point now);

  Clock::duration interval_{0};  // time to earn one token; 0: off
  Clock::duration capacity_{0};  // burst x interval
  uint32_t slip_ = 0;
  uint32_t ipv4_prefix_ = 32;
  uint32_t ipv6_prefix_ = 128;
  std::size_t max_tracked_ = 0;
  Lru lru_;
  std::unordered_map<Key, Lru::iterator, base::PrefixKeyHash> index_;
};

}  // namespace meshgate::dns
