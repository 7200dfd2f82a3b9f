#include "base/prefix_key.h"

#include <algorithm>
#include <cstring>
#include <random>

namespace meshgate::base {
namespace {

constexpr std::array<uint8_t, 12> kV4MappedPrefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// splitmix64's finaliser: every input bit moves every output bit.
uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
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

PrefixKey prefix_key(std::span<const uint8_t> address, uint32_t ipv4_prefix, uint32_t ipv6_prefix) {
  PrefixKey key;
  const bool mapped = address.size() == 16 &&
                      std::equal(kV4MappedPrefix.begin(), kV4MappedPrefix.end(), address.begin());
  if (address.size() == 4 || mapped) {
    std::copy_n(address.end() - 4, 4, key.bytes.begin());
    clear_host_bits(key.bytes, std::min<uint32_t>(ipv4_prefix, 32));
    return key;
  }
  if (address.size() != 16) return key;
  key.v6 = true;
  std::copy_n(address.begin(), 16, key.bytes.begin());
  clear_host_bits(key.bytes, std::min<uint32_t>(ipv6_prefix, 128));
  return key;
}

uint64_t random_seed() {
  std::random_device device;
  return (uint64_t{device()} << 32) ^ device();
}

std::size_t PrefixKeyHash::operator()(const PrefixKey& key) const {
  uint64_t high = 0;
  uint64_t low = 0;
  std::memcpy(&high, key.bytes.data(), sizeof high);
  std::memcpy(&low, key.bytes.data() + sizeof high, sizeof low);
  return static_cast<std::size_t>(mix(mix(high ^ seed) ^ low ^ (key.v6 ? 1U : 0U)));
}

}  // namespace meshgate::base
