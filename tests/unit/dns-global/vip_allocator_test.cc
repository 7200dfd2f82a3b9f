// The VIP allocator: a pure, order-independent, stable function of the names.
#include "dns-global/vip_allocator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

namespace meshgate::dns {
namespace {

base::Cidr cidr(const char* text) {
  const auto parsed = base::parse_cidr(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(base::Cidr{});
}

base::IpAddress ip(const char* text) {
  const auto address = base::parse_ip(text);
  EXPECT_TRUE(address.has_value()) << text;
  return address.value_or(base::IpAddress{});
}

std::vector<std::string> make_names(const std::string& prefix, int count) {
  std::vector<std::string> names;
  for (int i = 0; i < count; ++i)
    names.push_back(prefix + std::to_string(i) + ".ns.global");
  return names;
}

// The VIP a name gets when alone: its first slot.
std::optional<base::IpAddress> solo_v4(const VipAllocator& allocator, const std::string& name) {
  return allocator.allocate({name}, {}).at(name).v4;
}

const VipAllocator kDefault({cidr("240.240.0.0/16"), cidr("2001:2::/48")});

TEST(VipAllocatorTest, VipsInsideRangeAndNeverNetworkOrBroadcast) {
  const VipAllocator allocator({cidr("10.9.8.0/24"), cidr("fd00::/120")});
  const auto names = make_names("svc", 200);
  const auto vips = allocator.allocate(names, {});
  ASSERT_EQ(vips.size(), names.size());
  std::set<std::string> seen4;
  std::set<std::string> seen6;
  for (const auto& [name, vip] : vips) {
    ASSERT_TRUE(vip.v4.has_value()) << name;
    ASSERT_TRUE(vip.v6.has_value()) << name;
    EXPECT_TRUE(cidr("10.9.8.0/24").contains(*vip.v4));
    EXPECT_TRUE(cidr("fd00::/120").contains(*vip.v6));
    EXPECT_NE(*vip.v4, ip("10.9.8.0"));
    EXPECT_NE(*vip.v4, ip("10.9.8.255"));
    EXPECT_NE(*vip.v6, ip("fd00::"));
    EXPECT_TRUE(seen4.insert(base::to_string(*vip.v4)).second) << "duplicate v4 " << name;
    EXPECT_TRUE(seen6.insert(base::to_string(*vip.v6)).second) << "duplicate v6 " << name;
  }
}

TEST(VipAllocatorTest, DeterministicAcrossInstances) {
  const VipAllocator first({cidr("240.240.0.0/16"), cidr("2001:2::/48")});
  const VipAllocator second({cidr("2001:2::/48"), cidr("240.240.0.0/16")});
  const auto names = make_names("host", 500);
  const auto a = first.allocate(names, {});
  const auto b = second.allocate(names, {});
  EXPECT_EQ(a, b);
  for (const auto& [name, vip] : a) {
    ASSERT_TRUE(vip.v6.has_value());
    EXPECT_TRUE(cidr("2001:2::/48").contains(*vip.v6));
  }
}

TEST(VipAllocatorTest, InputOrderDoesNotMatter) {
  // A /24 with 200 names: many collisions, so the rounds really matter.
  const VipAllocator allocator({cidr("10.1.1.0/24")});
  auto names = make_names("n", 200);
  const auto reference = allocator.allocate(names, {});
  std::mt19937 random(12345);
  for (int permutation = 0; permutation < 5; ++permutation) {
    std::shuffle(names.begin(), names.end(), random);
    EXPECT_EQ(allocator.allocate(names, {}), reference) << "permutation " << permutation;
  }
}

TEST(VipAllocatorTest, DuplicatesAreIgnored) {
  const std::vector<std::string> names{"b.global", "a.global", "b.global", "a.global"};
  const auto vips = kDefault.allocate(names, {});
  ASSERT_EQ(vips.size(), 2u);
  EXPECT_EQ(vips, kDefault.allocate({"a.global", "b.global"}, {}));
}

TEST(VipAllocatorTest, SmallestNameWinsContestedSlot) {
  const VipAllocator allocator({cidr("10.0.0.0/29")});  // 6 slots
  // Two names whose first slots are the same.
  const auto candidates = make_names("c", 50);
  std::string first;
  std::string second;
  for (std::size_t i = 0; i < candidates.size() && second.empty(); ++i) {
    for (std::size_t j = i + 1; j < candidates.size(); ++j) {
      if (solo_v4(allocator, candidates[i]) == solo_v4(allocator, candidates[j])) {
        first = std::min(candidates[i], candidates[j]);
        second = std::max(candidates[i], candidates[j]);
        break;
      }
    }
  }
  ASSERT_FALSE(second.empty());
  const auto vips = allocator.allocate({second, first}, {});
  ASSERT_TRUE(vips.at(first).v4.has_value());
  ASSERT_TRUE(vips.at(second).v4.has_value());
  EXPECT_EQ(vips.at(first).v4, solo_v4(allocator, first));
  EXPECT_NE(vips.at(second).v4, solo_v4(allocator, second));
  EXPECT_NE(vips.at(first).v4, vips.at(second).v4);
}

// Adding names moves only names whose slot a new, smaller name wanted.
TEST(VipAllocatorTest, AddingNamesMovesOnlyCollidingNames) {
  const auto base = make_names("s", 2000);
  auto grown = base;
  for (const auto& name : make_names("t", 500))
    grown.push_back(name);
  const auto before = kDefault.allocate(base, {});
  const auto after = kDefault.allocate(grown, {});
  std::multimap<std::string, std::string> new_by_first_slot;  // address -> name
  for (std::size_t i = base.size(); i < grown.size(); ++i) {
    new_by_first_slot.emplace(base::to_string(*solo_v4(kDefault, grown[i])), grown[i]);
  }
  int kept = 0;
  for (const auto& name : base) {
    const auto first_slot = solo_v4(kDefault, name);
    EXPECT_EQ(before.at(name).v6, after.at(name).v6) << name;  // a /48 never collides
    if (before.at(name).v4 != first_slot) continue;
    if (after.at(name).v4 == before.at(name).v4) {
      ++kept;
      continue;
    }
    // It moved: a new, smaller name must have wanted the same slot.
    const auto range = new_by_first_slot.equal_range(base::to_string(*first_slot));
    const bool displaced = std::any_of(range.first, range.second,
                                       [&](const auto& entry) { return entry.second < name; });
    EXPECT_TRUE(displaced) << name << " moved without a smaller new name on its slot";
  }
  EXPECT_GT(kept, 1900);
}

TEST(VipAllocatorTest, RemovingNamesKeepsFirstSlotWinners) {
  const auto base = make_names("s", 2000);
  const std::vector<std::string> shrunk(base.begin() + 500, base.end());
  const auto before = kDefault.allocate(base, {});
  const auto after = kDefault.allocate(shrunk, {});
  int checked = 0;
  for (const auto& name : shrunk) {
    if (before.at(name).v4 != solo_v4(kDefault, name)) continue;
    ++checked;
    EXPECT_EQ(after.at(name).v4, before.at(name).v4) << name;
  }
  EXPECT_GT(checked, 1400);
}

TEST(VipAllocatorTest, ReservedAddressesAreNeverHandedOut) {
  const std::string name = "httpbin.bar.global";
  const auto wanted = kDefault.allocate({name}, {}).at(name);
  ASSERT_TRUE(wanted.v4 && wanted.v6);
  const auto vips = kDefault.allocate({name}, {*wanted.v4, *wanted.v6}).at(name);
  ASSERT_TRUE(vips.v4 && vips.v6);
  EXPECT_NE(*vips.v4, *wanted.v4);
  EXPECT_NE(*vips.v6, *wanted.v6);

  // 5 of the 6 slots of a /29 reserved: only one name can get the last one.
  const VipAllocator tiny({cidr("10.0.0.0/29")});
  const std::vector<base::IpAddress> reserved{ip("10.0.0.1"), ip("10.0.0.2"), ip("10.0.0.3"),
                                              ip("10.0.0.5"), ip("::ffff:10.0.0.6")};
  const auto result = tiny.allocate({"a.global", "b.global", "c.global"}, reserved);
  int with_vip = 0;
  for (const auto& [n, vip] : result) {
    if (!vip.v4) continue;
    ++with_vip;
    EXPECT_EQ(*vip.v4, ip("10.0.0.4")) << n;
  }
  EXPECT_EQ(with_vip, 1);
}

TEST(VipAllocatorTest, FullRangeLeavesNamesWithoutVip) {
  const VipAllocator allocator({cidr("10.0.0.0/30")});  // 10.0.0.1 and 10.0.0.2
  const auto vips = allocator.allocate(make_names("x", 5), {});
  std::set<std::string> given;
  for (const auto& [name, vip] : vips) {
    EXPECT_FALSE(vip.v6.has_value());
    if (vip.v4) given.insert(base::to_string(*vip.v4));
  }
  EXPECT_EQ(given, (std::set<std::string>{"10.0.0.1", "10.0.0.2"}));
}

TEST(VipAllocatorTest, RangesWithoutUsableSlots) {
  for (const char* text : {"10.0.0.0/31", "10.0.0.7/32", "fd00::1/128"}) {
    const VipAllocator allocator({cidr(text)});
    const auto vips = allocator.allocate({"a.global", "b.global"}, {});
    ASSERT_EQ(vips.size(), 2u) << text;
    for (const auto& [name, vip] : vips)
      EXPECT_EQ(vip, Vips{}) << text;
  }
  const VipAllocator none({});
  EXPECT_EQ(none.allocate({"a.global"}, {}).at("a.global"), Vips{});
}

TEST(VipAllocatorTest, Ipv6Slash127HasOneSlot) {
  const VipAllocator allocator({cidr("fd00::/127")});
  const auto vips = allocator.allocate({"a.global", "b.global", "c.global"}, {});
  int with_vip = 0;
  for (const auto& [name, vip] : vips) {
    if (!vip.v6) continue;
    ++with_vip;
    EXPECT_EQ(*vip.v6, ip("fd00::1"));
  }
  EXPECT_EQ(with_vip, 1);
}

TEST(VipAllocatorTest, HundredThousandNames) {
  const auto names = make_names("big", 100'000);
  const auto vips = kDefault.allocate(names, {});
  ASSERT_EQ(vips.size(), names.size());
  std::set<std::array<uint8_t, 16>> v4;
  std::set<std::array<uint8_t, 16>> v6;
  for (const auto& [name, vip] : vips) {
    if (vip.v4) v4.insert(vip.v4->bytes);
    ASSERT_TRUE(vip.v6.has_value()) << name;
    v6.insert(vip.v6->bytes);
  }
  EXPECT_EQ(v4.size(), 65'534u);  // the /16 fills up, each address once
  EXPECT_EQ(v6.size(), names.size());
  EXPECT_EQ(v4.count(ip("240.240.0.0").bytes), 0u);
  EXPECT_EQ(v4.count(ip("240.240.255.255").bytes), 0u);
}

}  // namespace
}  // namespace meshgate::dns
