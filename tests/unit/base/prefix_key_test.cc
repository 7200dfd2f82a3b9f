#include "base/prefix_key.h"

#include <gtest/gtest.h>

#include <array>
#include <unordered_set>

namespace meshgate::base {
namespace {

using V4 = std::array<uint8_t, 4>;
using V6 = std::array<uint8_t, 16>;

TEST(PrefixKey, Ipv4KeepsThePrefixBitsOnly) {
  const PrefixKey a = prefix_key(V4{10, 1, 2, 3}, 24, 64);
  const PrefixKey b = prefix_key(V4{10, 1, 2, 200}, 24, 64);
  const PrefixKey c = prefix_key(V4{10, 1, 3, 3}, 24, 64);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_FALSE(a.v6);
  EXPECT_EQ(a.bytes[2], 2);
  EXPECT_EQ(a.bytes[3], 0);
}

TEST(PrefixKey, APrefixInsideAByteClearsOnlyTheHostBits) {
  const PrefixKey key = prefix_key(V4{10, 1, 0xff, 0xff}, 20, 64);
  EXPECT_EQ(key.bytes[2], 0xf0);
  EXPECT_EQ(key.bytes[3], 0);
}

TEST(PrefixKey, Ipv6HostsOfOneSlash64ShareAKey) {
  V6 one{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1};
  V6 two = one;
  one[15] = 1;
  two[8] = 0xab;  // another interface id, same /64
  V6 other = one;
  other[7] = 2;  // the next /64
  EXPECT_EQ(prefix_key(one, 32, 64), prefix_key(two, 32, 64));
  EXPECT_NE(prefix_key(one, 32, 64), prefix_key(other, 32, 64));
  EXPECT_NE(prefix_key(one, 32, 128), prefix_key(two, 32, 128));
  EXPECT_TRUE(prefix_key(one, 32, 64).v6);
}

TEST(PrefixKey, AnIpv4MappedAddressCountsAsItsIpv4Address) {
  const V6 mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 7};
  EXPECT_EQ(prefix_key(mapped, 32, 64), prefix_key(V4{192, 0, 2, 7}, 32, 64));
}

TEST(PrefixKey, AnAddressOfNoKnownSizeIsTheEmptyKey) {
  const std::array<uint8_t, 5> odd{1, 2, 3, 4, 5};
  EXPECT_EQ(prefix_key(odd, 32, 64), PrefixKey{});
}

TEST(PrefixKeyHash, IsSeededPerHasher) {
  const PrefixKey key = prefix_key(V4{10, 0, 0, 1}, 32, 64);
  const PrefixKeyHash a{1};
  const PrefixKeyHash b{2};
  EXPECT_EQ(a(key), PrefixKeyHash{1}(key));
  EXPECT_NE(a(key), b(key));
}

TEST(PrefixKeyHash, SpreadsNeighbouringAddresses) {
  const PrefixKeyHash hash;
  std::unordered_set<std::size_t> buckets;
  for (uint8_t i = 0; i < 64; ++i)
    buckets.insert(hash(prefix_key(V4{10, 0, 0, i}, 32, 64)) % 64);
  EXPECT_GT(buckets.size(), 30u);  // a constant or identity-like hash would give 1 or 64
}

}  // namespace
}  // namespace meshgate::base
