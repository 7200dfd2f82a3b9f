// DNS clusters as istiod builds them for a ServiceEntry with resolution DNS
// (pilot/pkg/networking/core/cluster_builder.go: STRICT_DNS, dns_refresh_rate
// from the mesh config, respect_dns_ttl true, dns_lookup_family by the
// proxy's IPs) and what Envoy does with them (STRICT_DNS: every address of
// every host; LOGICAL_DNS: the first address).
#include "discovery/xds/dns_names.h"

#include <gtest/gtest.h>

#include "discovery/xds/decode.h"
#include "discovery/xds/translate.h"
#include "tests/unit/discovery/xds/xds_builders.h"

namespace meshgate::discovery::xds {
namespace {

using namespace std::chrono_literals;
using namespace testing;
using Proto = envoy::config::cluster::v3::Cluster;

constexpr std::string_view kExternal = "outbound_.443_._.api.example.com";

// A DNS cluster with an inline assignment of host names, as istiod sends one.
Proto dns_cluster(std::string_view name, Proto::DiscoveryType type,
                  const std::vector<std::pair<std::string, uint32_t>>& hosts) {
  Proto out;
  out.set_name(std::string(name));
  out.set_type(type);
  out.mutable_connect_timeout()->set_seconds(10);
  out.mutable_dns_refresh_rate()->set_seconds(60);
  out.set_respect_dns_ttl(true);
  out.set_dns_lookup_family(Proto::V4_ONLY);
  *out.mutable_load_assignment() = assignment(name, hosts);
  return out;
}

Cluster decoded(const Proto& proto) {
  Decoded<Cluster> out = decode_cluster(proto);
  EXPECT_TRUE(out.value) << out.error.message;
  return out.value.value_or(Cluster{});
}

XdsState state_with(std::initializer_list<Proto> clusters) {
  XdsState state;
  for (const Proto& proto : clusters) {
    Cluster cluster = decoded(proto);
    state.clusters.emplace(cluster.name, std::move(cluster));
  }
  return state;
}

std::vector<std::string> addresses(const LoadAssignment& assignment) {
  std::vector<std::string> out;
  for (const LocalityEndpoints& locality : assignment.localities) {
    for (const Endpoint& endpoint : locality.endpoints)
      out.push_back(endpoint.address + ":" + std::to_string(endpoint.port));
  }
  return out;
}

TEST(XdsDnsNames, TheDnsFieldsAreDecoded) {
  const Cluster cluster =
      decoded(dns_cluster(kExternal, Proto::STRICT_DNS, {{"api.example.com", 443}}));
  EXPECT_EQ(cluster.type, ClusterType::kStrictDns);
  EXPECT_EQ(cluster.dns.refresh, 60s);
  EXPECT_TRUE(cluster.dns.respect_ttl);
  EXPECT_EQ(cluster.dns.family, DnsFamily::kV4Only);
  EXPECT_EQ(addresses(cluster.load_assignment), std::vector<std::string>{"api.example.com:443"});

  Proto defaults = dns_cluster(kExternal, Proto::LOGICAL_DNS, {{"api.example.com", 443}});
  defaults.clear_dns_refresh_rate();
  defaults.clear_respect_dns_ttl();
  defaults.clear_dns_lookup_family();
  const Cluster plain = decoded(defaults);
  EXPECT_EQ(plain.dns, DnsSpec{});  // Envoy's defaults: 5 s, no TTL, AUTO
  EXPECT_EQ(plain.dns.refresh, 5s);

  Proto fast = defaults;
  fast.mutable_dns_refresh_rate()->set_nanos(1'000'000);
  EXPECT_EQ(decoded(fast).dns.refresh, 100ms) << "at most ten lookups a second";
}

TEST(XdsDnsNames, EachHostIsWantedOnceAtItsClustersShortestRefresh) {
  Proto slow = dns_cluster("outbound_.443_._.a", Proto::STRICT_DNS,
                           {{"api.example.com", 443}, {"10.0.0.1", 443}});
  slow.set_respect_dns_ttl(false);
  Proto fast = dns_cluster("outbound_.443_.v1_.a", Proto::STRICT_DNS, {{"api.example.com", 443}});
  fast.mutable_dns_refresh_rate()->set_seconds(5);
  Proto v6 = dns_cluster("outbound_.80_._.b", Proto::LOGICAL_DNS,
                         {{"api.example.com", 80}, {"second.example.com", 80}});
  v6.set_dns_lookup_family(Proto::V6_ONLY);
  Proto eds = eds_cluster("outbound_.80_._.c");
  const std::vector<DnsWant> wants = dns_wants(state_with({slow, fast, v6, eds}));
  ASSERT_EQ(wants.size(), 2u) << "no IP literal, no second LOGICAL_DNS endpoint, no EDS";
  EXPECT_EQ(wants[0], (DnsWant{{"api.example.com", DnsFamily::kV4Only}, 5s, true}));
  EXPECT_EQ(wants[1], (DnsWant{{"api.example.com", DnsFamily::kV6Only}, 60s, true}));
}

TEST(XdsDnsNames, TheFamilyPicksTheAddresses) {
  const std::vector<base::IpAddress> both = {
      *base::parse_ip("10.0.0.1"), *base::parse_ip("fd00::1"), *base::parse_ip("10.0.0.2")};
  const std::vector<base::IpAddress> v4 = {*base::parse_ip("10.0.0.1")};
  using V = std::vector<std::string>;
  EXPECT_EQ(pick_family(DnsFamily::kAuto, both), V{"fd00::1"});
  EXPECT_EQ(pick_family(DnsFamily::kAuto, v4), V{"10.0.0.1"});
  EXPECT_EQ(pick_family(DnsFamily::kV4Preferred, both), (V{"10.0.0.1", "10.0.0.2"}));
  EXPECT_EQ(pick_family(DnsFamily::kV4Preferred, {*base::parse_ip("fd00::1")}), V{"fd00::1"});
  EXPECT_EQ(pick_family(DnsFamily::kAll, both), (V{"10.0.0.1", "fd00::1", "10.0.0.2"}));
  EXPECT_EQ(pick_family(DnsFamily::kV4Only, both), (V{"10.0.0.1", "10.0.0.2"}));
  EXPECT_EQ(pick_family(DnsFamily::kV6Only, v4), V{});
}

TEST(XdsDnsNames, StrictDnsTakesEveryAddressOfEveryHost) {
  const Cluster cluster = decoded(
      dns_cluster(kExternal, Proto::STRICT_DNS,
                  {{"api.example.com", 443}, {"10.9.9.9", 8443}, {"late.example.com", 443}}));
  const DnsAnswers answers = {{{"api.example.com", DnsFamily::kV4Only}, {"10.0.0.1", "10.0.0.2"}}};
  uint64_t unanswered = 0;
  const LoadAssignment out = resolve_dns_cluster(cluster, answers, unanswered);
  EXPECT_EQ(addresses(out),
            (std::vector<std::string>{"10.0.0.1:443", "10.0.0.2:443", "10.9.9.9:8443"}));
  EXPECT_EQ(unanswered, 1u) << "late.example.com";
  ASSERT_EQ(out.localities.size(), 1u);
  EXPECT_EQ(out.localities[0].region, "r1");
  EXPECT_TRUE(out.localities[0].endpoints[0].istio_mtls) << "the endpoint's metadata is kept";
}

TEST(XdsDnsNames, LogicalDnsTakesTheFirstAddressOnly) {
  const Cluster cluster = decoded(dns_cluster(kExternal, Proto::LOGICAL_DNS,
                                              {{"api.example.com", 443}, {"other.example", 443}}));
  const DnsAnswers answers = {{{"api.example.com", DnsFamily::kV4Only}, {"10.0.0.7", "10.0.0.8"}},
                              {{"other.example", DnsFamily::kV4Only}, {"10.0.0.9"}}};
  uint64_t unanswered = 0;
  EXPECT_EQ(addresses(resolve_dns_cluster(cluster, answers, unanswered)),
            std::vector<std::string>{"10.0.0.7:443"});
  EXPECT_EQ(unanswered, 0u);
}

TEST(XdsDnsNames, AnAutoPassthroughRouteToADnsClusterDialsItsAddresses) {
  XdsState state =
      state_with({dns_cluster(kExternal, Proto::STRICT_DNS, {{"api.example.com", 443}})});
  Listener read = *decode_listener(listener(15443, {passthrough_chain(kExternal)})).value;
  state.listeners.emplace(read.name, std::move(read));

  const Translated before = translate(state);
  ASSERT_EQ(before.state.services.size(), 1u);
  EXPECT_TRUE(before.state.services[0].endpoints.empty()) << "no answer yet: no endpoint";
  EXPECT_EQ(before.stats.dns_unanswered, 1u);

  const DnsAnswers answers = {{{"api.example.com", DnsFamily::kV4Only}, {"10.0.0.1", "10.0.0.2"}}};
  const Translated after = translate(state, {}, &answers);
  ASSERT_EQ(after.state.services.size(), 1u);
  const Service& service = after.state.services[0];
  EXPECT_EQ(service.host, "api.example.com");
  ASSERT_EQ(service.endpoints.size(), 2u);
  EXPECT_EQ(service.endpoints[0].address, "10.0.0.1");
  EXPECT_EQ(service.endpoints[1].address, "10.0.0.2");
  EXPECT_EQ(service.endpoints[0].ports.at("p443"), 443);
  EXPECT_EQ(after.stats.dns_unanswered, 0u);
  EXPECT_EQ(after.stats.unresolved_clusters, 0u);
}

}  // namespace
}  // namespace meshgate::discovery::xds
