// A client's address prefix: the unit that per-client limits count by. The
// address with its host bits cleared, so that one host holding a whole IPv6
// /64 (as hosts usually do) counts once, and an IPv4-mapped IPv6 address
// (::ffff:a.b.c.d) counts as the IPv4 address it carries. The hash is seeded
// per process: clients choose their addresses, and an unseeded hash would
// let them pile every key into one bucket.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace meshgate::base {

struct PrefixKey {
  std::array<uint8_t, 16> bytes{};  // IPv4 in the first 4
  bool v6 = false;
  bool operator==(const PrefixKey&) const = default;
};

// `address`: 4 bytes (IPv4) or 16 (IPv6); any other size gives the empty key.
PrefixKey prefix_key(std::span<const uint8_t> address, uint32_t ipv4_prefix, uint32_t ipv6_prefix);

// A fresh random seed, for a PrefixKeyHash.
uint64_t random_seed();

struct PrefixKeyHash {
  uint64_t seed = random_seed();
  std::size_t operator()(const PrefixKey& key) const;
};

}  // namespace meshgate::base
