// The zone index, built from a registry snapshot.
#include "dns-global/zone.h"

#include <gtest/gtest.h>

#include <limits>

namespace meshgate::dns {
namespace {

using discovery::HostAlias;
using discovery::Service;
using discovery::Snapshot;

Name name(const char* text) {
  const auto parsed = Name::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(Name());
}

base::Cidr cidr(const char* text) {
  const auto parsed = base::parse_cidr(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(base::Cidr{});
}

base::IpAddress ip4(const std::array<uint8_t, 4>& a) {
  base::IpAddress address;
  std::copy(a.begin(), a.end(), address.bytes.begin());
  return address;
}

base::IpAddress ip6(const std::array<uint8_t, 16>& aaaa) {
  return {true, aaaa};
}

std::vector<std::string> v4_text(const Node& node) {
  std::vector<std::string> out;
  for (const auto& a : node.a)
    out.push_back(base::to_string(ip4(a)));
  return out;
}

std::vector<std::string> v6_text(const Node& node) {
  std::vector<std::string> out;
  for (const auto& aaaa : node.aaaa)
    out.push_back(base::to_string(ip6(aaaa)));
  return out;
}

HostAlias alias(std::string host, std::vector<std::string> addresses = {}) {
  HostAlias result;
  result.host = std::move(host);
  result.addresses = std::move(addresses);
  return result;
}

Service service(std::string service_name, std::string ns) {
  Service result;
  result.name = std::move(service_name);
  result.ns = std::move(ns);
  return result;
}

config::DnsZone zone(std::string zone_name, config::DnsAnswer answer = config::DnsAnswer::kVip,
                     std::vector<std::string> addresses = {}, bool services = true) {
  config::DnsZone result;
  result.name = std::move(zone_name);
  result.answer = answer;
  result.addresses = std::move(addresses);
  result.services = services;
  return result;
}

const VipAllocator kAllocator({cidr("240.240.0.0/16"), cidr("2001:2::/48")});

ZoneIndexPtr build(std::vector<config::DnsZone> zones, std::vector<Service> services,
                   std::vector<HostAlias> aliases, uint64_t version = 7) {
  config::Dns dns;
  dns.zones = std::move(zones);
  return ZoneIndex::build(dns, Snapshot(version, std::move(services), std::move(aliases)),
                          kAllocator);
}

// The node for an exact (non-wildcard) name, failing the test otherwise.
const Node& found(const ZoneIndex& index, const char* text) {
  static const Node kNone;
  const Lookup lookup = index.find(name(text));
  EXPECT_EQ(lookup.kind, LookupKind::kFound) << text;
  EXPECT_FALSE(lookup.wildcard) << text;
  return lookup.node ? *lookup.node : kNone;
}

TEST(ZoneTest, AliasWithAddressesAnswersThem) {
  const auto index =
      build({zone("global")}, {},
            {alias("httpbin.bar.global", {"10.1.2.3", "fd00::5", "bogus", "10.1.2.3"})});
  const Node& node = found(*index, "httpbin.bar.global");
  EXPECT_EQ(v4_text(node), std::vector<std::string>{"10.1.2.3"});
  EXPECT_EQ(v6_text(node), std::vector<std::string>{"fd00::5"});
  EXPECT_EQ(index->version(), 7u);
}

TEST(ZoneTest, AliasWithoutAddressesGetsVip) {
  const auto index =
      build({zone("global")}, {},
            {alias("noaddr.bar.global"), alias("other.bar.global", {"240.240.0.1"})});
  const Node& node = found(*index, "noaddr.bar.global");
  ASSERT_EQ(node.a.size(), 1u);
  ASSERT_EQ(node.aaaa.size(), 1u);
  EXPECT_TRUE(cidr("240.240.0.0/16").contains(ip4(node.a[0])));
  EXPECT_TRUE(cidr("2001:2::/48").contains(ip6(node.aaaa[0])));
  const auto expected = kAllocator.allocate({"noaddr.bar.global"}, {ip4({240, 240, 0, 1})});
  EXPECT_EQ(ip4(node.a[0]), expected.at("noaddr.bar.global").v4);
  EXPECT_EQ(ip6(node.aaaa[0]), expected.at("noaddr.bar.global").v6);
}

TEST(ZoneTest, ServiceNamesFollowServicesFlag) {
  const std::vector<Service> services{service("reviews", "bookinfo"),
                                      service("ratings", "bookinfo")};
  const auto with =
      build({zone("global")}, services, {alias("reviews.bookinfo.global", {"10.0.0.9"})});
  EXPECT_EQ(v4_text(found(*with, "reviews.bookinfo.global")), std::vector<std::string>{"10.0.0.9"});
  const Node& ratings = found(*with, "ratings.bookinfo.global");
  ASSERT_EQ(ratings.a.size(), 1u);
  EXPECT_TRUE(cidr("240.240.0.0/16").contains(ip4(ratings.a[0])));
  found(*with, "bookinfo.global");  // empty non-terminal

  const auto without = build({zone("global", config::DnsAnswer::kVip, {}, false)}, services, {});
  EXPECT_EQ(without->find(name("ratings.bookinfo.global")).kind, LookupKind::kNxDomain);
  EXPECT_EQ(without->find(name("bookinfo.global")).kind, LookupKind::kNxDomain);
}

TEST(ZoneTest, GatewayModeAnswersZoneAddresses) {
  const auto index =
      build({zone("global", config::DnsAnswer::kGateway, {"192.0.2.10", "2001:db8::10"})},
            {service("reviews", "bookinfo")},
            {alias("httpbin.bar.global", {"10.1.2.3"}), alias("*.foo.global")});
  for (const char* text : {"httpbin.bar.global", "reviews.bookinfo.global", "a.foo.global"}) {
    const Lookup lookup = index->find(name(text));
    ASSERT_EQ(lookup.kind, LookupKind::kFound) << text;
    EXPECT_EQ(v4_text(*lookup.node), std::vector<std::string>{"192.0.2.10"}) << text;
    EXPECT_EQ(v6_text(*lookup.node), std::vector<std::string>{"2001:db8::10"}) << text;
  }
  EXPECT_EQ(found(*index, "bar.global"), Node{});  // non-terminals stay empty
}

TEST(ZoneTest, UnknownNamesAndOutsideNames) {
  const auto index = build({zone("global")}, {}, {alias("httpbin.bar.global", {"10.1.2.3"})});
  const Lookup missing = index->find(name("nope.bar.global"));
  EXPECT_EQ(missing.kind, LookupKind::kNxDomain);
  ASSERT_NE(missing.zone, nullptr);
  EXPECT_EQ(missing.zone->origin, name("global"));
  EXPECT_EQ(missing.node, nullptr);
  EXPECT_EQ(index->find(name("x.httpbin.bar.global")).kind, LookupKind::kNxDomain);
  for (const char* text : {"example.com", "xglobal", "global.com", "."}) {
    const Lookup outside = index->find(name(text));
    EXPECT_EQ(outside.kind, LookupKind::kOutside) << text;
    EXPECT_EQ(outside.zone, nullptr) << text;
  }
}

TEST(ZoneTest, EmptyNonTerminalsAndApex) {
  const auto index =
      build({zone("global")}, {}, {alias("a.b.c.global", {"10.0.0.1"}), alias("global")});
  for (const char* text : {"b.c.global", "c.global"}) {
    const Lookup lookup = index->find(name(text));
    ASSERT_EQ(lookup.kind, LookupKind::kFound) << text;
    EXPECT_EQ(*lookup.node, Node{}) << text;
    EXPECT_FALSE(lookup.apex) << text;
  }
  const Lookup apex = index->find(name("GLOBAL."));
  ASSERT_EQ(apex.kind, LookupKind::kFound);
  EXPECT_TRUE(apex.apex);
  EXPECT_FALSE(apex.wildcard);
  EXPECT_EQ(*apex.node, Node{});  // an alias equal to the apex is ignored
}

TEST(ZoneTest, WildcardsFollowRfc4592) {
  const auto index =
      build({zone("global")}, {},
            {alias("*.foo.global", {"10.0.0.7"}), alias("exact.foo.global", {"10.0.0.8"})});
  for (const char* text : {"a.foo.global", "x.y.foo.global", "*.foo.global"}) {
    const Lookup lookup = index->find(name(text));
    ASSERT_EQ(lookup.kind, LookupKind::kFound) << text;
    EXPECT_TRUE(lookup.wildcard) << text;
    EXPECT_EQ(v4_text(*lookup.node), std::vector<std::string>{"10.0.0.7"}) << text;
  }
  EXPECT_EQ(found(*index, "foo.global"), Node{});
  EXPECT_EQ(v4_text(found(*index, "exact.foo.global")), std::vector<std::string>{"10.0.0.8"});
  // The closest encloser of sub.exact.foo.global is exact.foo.global: no wildcard there.
  EXPECT_EQ(index->find(name("sub.exact.foo.global")).kind, LookupKind::kNxDomain);
  EXPECT_EQ(index->find(name("a.bar.global")).kind, LookupKind::kNxDomain);
  // The wildcard's own name exists, so it is the closest encloser of names
  // below it, and it has no wildcard child (RFC 4592 §2.2.1).
  EXPECT_EQ(index->find(name("a.*.foo.global")).kind, LookupKind::kNxDomain);
}

TEST(ZoneTest, WildcardWithoutAddressesGetsVip) {
  const auto index = build({zone("global")}, {}, {alias("*.foo.global")});
  const Lookup lookup = index->find(name("a.foo.global"));
  ASSERT_EQ(lookup.kind, LookupKind::kFound);
  EXPECT_TRUE(lookup.wildcard);
  ASSERT_EQ(lookup.node->a.size(), 1u);
  EXPECT_EQ(ip4(lookup.node->a[0]),
            kAllocator.allocate({"*.foo.global"}, {}).at("*.foo.global").v4);
}

TEST(ZoneTest, LookupIsCaseInsensitive) {
  const auto index =
      build({zone("global")}, {},
            {alias("httpbin.bar.global", {"10.1.2.3"}), alias("*.foo.global", {"10.0.0.7"})});
  EXPECT_EQ(v4_text(found(*index, "HttpBin.BAR.Global")), std::vector<std::string>{"10.1.2.3"});
  EXPECT_TRUE(index->find(name("A.FOO.GLOBAL")).wildcard);
  EXPECT_EQ(index->find(name("NoPe.GLOBAL")).kind, LookupKind::kNxDomain);
}

TEST(ZoneTest, NestedZoneOwnsItsNames) {
  const auto index =
      build({zone("global"), zone("mesh.global", config::DnsAnswer::kGateway, {"192.0.2.1"})}, {},
            {alias("a.mesh.global", {"10.0.0.1"}), alias("b.global", {"10.0.0.2"})});
  ASSERT_EQ(index->zones().size(), 2u);
  EXPECT_EQ(index->zones()[0].origin, name("mesh.global"));
  EXPECT_EQ(index->zones()[1].origin, name("global"));
  const Lookup nested = index->find(name("a.mesh.global"));
  ASSERT_EQ(nested.kind, LookupKind::kFound);
  EXPECT_EQ(nested.zone, &index->zones()[0]);
  EXPECT_EQ(v4_text(*nested.node), std::vector<std::string>{"192.0.2.1"});
  EXPECT_EQ(index->zones()[1].nodes.count(name("a.mesh.global").key()), 0u);
  const Lookup apex = index->find(name("mesh.global"));
  EXPECT_TRUE(apex.apex);
  EXPECT_EQ(apex.zone, &index->zones()[0]);
  const Lookup outer = index->find(name("b.global"));
  EXPECT_EQ(outer.zone, &index->zones()[1]);
  EXPECT_EQ(v4_text(*outer.node), std::vector<std::string>{"10.0.0.2"});
}

TEST(ZoneTest, SoaNsAndTtls) {
  config::Dns dns;
  dns.zones = {zone("global", config::DnsAnswer::kVip, {"192.0.2.10", "2001:db8::10"})};
  dns.ttl = std::chrono::seconds(20);
  dns.negative_ttl = std::chrono::milliseconds(45'900);
  const auto index = ZoneIndex::build(dns, Snapshot(0x1'0000'0005ULL, {}, {}), kAllocator);
  ASSERT_EQ(index->zones().size(), 1u);
  const ZoneData& data = index->zones()[0];
  EXPECT_EQ(data.ttl, 20u);
  EXPECT_EQ(data.negative_ttl, 45u);
  EXPECT_EQ(data.ns_name, name("ns.global"));
  EXPECT_EQ(data.soa.mname, name("ns.global"));
  EXPECT_EQ(data.soa.rname, name("hostmaster.global"));
  EXPECT_EQ(data.soa.serial, 5u);
  EXPECT_EQ(data.soa.refresh, 3600u);
  EXPECT_EQ(data.soa.retry, 600u);
  EXPECT_EQ(data.soa.expire, 86400u);
  EXPECT_EQ(data.soa.minimum, 45u);
  EXPECT_EQ(v4_text(data.ns_node), std::vector<std::string>{"192.0.2.10"});
  EXPECT_EQ(found(*index, "ns.global"), data.ns_node);

  dns.ttl = std::chrono::hours(24 * 365 * 200);
  const auto clamped = ZoneIndex::build(dns, Snapshot(1, {}, {}), kAllocator);
  EXPECT_EQ(clamped->zones()[0].ttl, std::numeric_limits<uint32_t>::max());
}

TEST(ZoneTest, HostEntriesSortedWithoutWildcardsOrNs) {
  const auto index =
      build({zone("global", config::DnsAnswer::kVip, {"192.0.2.10"})}, {},
            {alias("zeta.global", {"10.0.0.3", "fd00::3"}), alias("*.foo.global", {"10.0.0.7"}),
             alias("alpha.x.global", {"10.0.0.1"}), alias("mid.global")});
  const auto entries = index->host_entries();
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(index->host_count(), 3u);
  EXPECT_EQ(entries[0].name, "alpha.x.global");
  EXPECT_EQ(entries[0].addresses, std::vector<std::string>{"10.0.0.1"});
  EXPECT_EQ(entries[1].name, "mid.global");
  EXPECT_EQ(entries[1].addresses.size(), 2u);  // its two VIPs
  EXPECT_EQ(entries[2].name, "zeta.global");
  EXPECT_EQ(entries[2].addresses, (std::vector<std::string>{"10.0.0.3", "fd00::3"}));
}

// A snapshot that changes no name (an endpoint came or went) keeps the zone
// it had, serial and all; a new name or new aliases build a new one.
TEST(ZoneTest, ASnapshotThatChangesNoNameKeepsTheZone) {
  config::Dns dns;
  dns.zones = {zone("global")};
  auto aliases = std::make_shared<const std::vector<HostAlias>>(
      std::vector<HostAlias>{alias("httpbin.bar.global", {"10.0.0.1"})});
  const auto one = std::make_shared<const Service>(service("reviews", "default"));
  const Snapshot first(3, discovery::SharedParts{{one}, aliases});
  const ZoneIndexPtr zone_first = ZoneIndex::build(dns, first, kAllocator);

  Service moved = *one;
  moved.endpoints.push_back(discovery::Endpoint{});
  const Snapshot second(4,
                        discovery::SharedParts{{std::make_shared<const Service>(moved)}, aliases});
  EXPECT_EQ(ZoneIndex::build(dns, second, kAllocator, zone_first), zone_first);
  EXPECT_EQ(zone_first->zones()[0].soa.serial, 3u);

  const auto added = std::make_shared<const Service>(service("ratings", "default"));
  const Snapshot third(5, discovery::SharedParts{{added, one}, aliases});  // by key
  const ZoneIndexPtr zone_third = ZoneIndex::build(dns, third, kAllocator, zone_first);
  ASSERT_NE(zone_third, zone_first);
  EXPECT_EQ(zone_third->version(), 5u);
  EXPECT_EQ(zone_third->find(name("ratings.default.global")).kind, LookupKind::kFound);

  const auto equal_copy = std::make_shared<const std::vector<HostAlias>>(*aliases);
  const Snapshot fourth(6, discovery::SharedParts{{added, one}, equal_copy});
  EXPECT_NE(ZoneIndex::build(dns, fourth, kAllocator, zone_third), zone_third)
      << "aliases are told apart by object: a registry shares equal ones";
}

}  // namespace
}  // namespace meshgate::dns
