// The DNS server on real loopback sockets: UDP, TCP and gRPC answer alike,
// forwarding goes through a second server acting as the upstream resolver.
#include "dns-global/dns_server.h"

#include <gtest/gtest.h>

#include "tests/support/dns_client.h"
#include "tests/support/harness.h"
#include "tests/support/socket.h"

namespace meshgate::dns {
namespace {

using meshgate::testing::dns_query;
using meshgate::testing::parse_reply;
using meshgate::testing::tcp_exchange;
using meshgate::testing::udp_exchange;

config::Config server_config(const std::string& zone) {
  config::Config config = meshgate::testing::test_config();
  config.dns.zones = {config::DnsZone{zone, config::DnsAnswer::kVip, {}, true}};
  config.dns.forward.upstreams = {"127.0.0.1:" + std::to_string(meshgate::testing::dead_port())};
  config.dns.forward.timeout = std::chrono::milliseconds(300);
  config.dns.forward.attempts = 1;
  return config;
}

ZoneIndexPtr zone_of(const config::Config& config, std::vector<discovery::HostAlias> aliases,
                     uint64_t version = 1) {
  std::vector<base::Cidr> ranges;
  for (const auto& text : config.dns.vip_ranges)
    ranges.push_back(*base::parse_cidr(text));
  const discovery::Snapshot snapshot(version, {}, std::move(aliases));
  return ZoneIndex::build(config.dns, snapshot, VipAllocator(ranges));
}

std::array<uint8_t, 4> first_a(const std::vector<uint8_t>& reply) {
  const Message message = parse_reply(reply);
  if (message.answers.empty()) return {};
  return std::get<AData>(message.answers[0].data).address;
}

class DnsServerTest : public ::testing::Test {
 protected:
  void start(config::Config config, std::vector<discovery::HostAlias> aliases) {
    config_ = std::move(config);
    server_ = std::make_unique<DnsServer>(config_);
    server_->set_zone(zone_of(config_, std::move(aliases)));
    server_->start();
  }
  uint16_t port() const { return server_->udp_endpoint().port(); }

  config::Config config_;
  std::unique_ptr<DnsServer> server_;
};

TEST_F(DnsServerTest, UdpTcpAndGrpcGiveTheSameAnswer) {
  start(server_config("global"), {{"db.bar.global", {"10.1.2.3"}, "", ""}});
  const std::vector<uint8_t> query = dns_query("db.bar.global", rrtype::kA);
  const auto udp = udp_exchange(port(), query);
  ASSERT_TRUE(udp.has_value());
  EXPECT_EQ(first_a(*udp), (std::array<uint8_t, 4>{10, 1, 2, 3}));
  const auto tcp = tcp_exchange(server_->tcp_endpoint().port(), {query, query});
  ASSERT_EQ(tcp.size(), 2U);  // two queries on one connection
  EXPECT_EQ(tcp[0], *udp);
  EXPECT_EQ(tcp[1], *udp);
  std::string error;
  const auto grpc = grpc_query("127.0.0.1:" + std::to_string(server_->grpc_port()), query, &error);
  ASSERT_TRUE(grpc.has_value()) << error;
  EXPECT_EQ(*grpc, *udp);
  const DnsStatsSnapshot stats = server_->stats();
  EXPECT_EQ(stats.queries[0], 1U);  // udp
  EXPECT_EQ(stats.queries[1], 2U);  // tcp
  EXPECT_EQ(stats.queries[2], 1U);  // grpc
  EXPECT_EQ(stats.answers[type_index(rrtype::kA)][rcode_index(rcode::kNoError)], 4U);
  EXPECT_EQ(stats.latency.count, 4U);
}

TEST_F(DnsServerTest, ForwardsOutsideTheZoneThroughAnUpstream) {
  DnsServer upstream(server_config("upstream.test"));
  upstream.set_zone(
      zone_of(server_config("upstream.test"), {{"www.upstream.test", {"10.7.7.7"}, "", ""}}));
  upstream.start();
  config::Config config = server_config("global");
  config.dns.forward.upstreams = {"127.0.0.1:" + std::to_string(upstream.udp_endpoint().port())};
  start(config, {});
  const auto reply = udp_exchange(port(), dns_query("www.upstream.test", rrtype::kA));
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(parse_reply(*reply).header.id, 0x1234);
  EXPECT_EQ(first_a(*reply), (std::array<uint8_t, 4>{10, 7, 7, 7}));
  EXPECT_EQ(server_->stats().forwarded[static_cast<std::size_t>(ForwardResult::kAnswered)], 1U);
}

TEST_F(DnsServerTest, UpstreamDownIsServFail) {
  start(server_config("global"), {});
  const auto reply = udp_exchange(port(), dns_query("example.com", rrtype::kA));
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(parse_reply(*reply).header.rcode, rcode::kServFail);
}

TEST_F(DnsServerTest, RefusesRecursionOutsideAllowedClientsButAnswersTheZone) {
  config::Config config = server_config("global");
  config.dns.forward.allowed_clients = {"127.0.0.1/32"};
  start(config, {{"db.bar.global", {"10.1.2.3"}, "", ""}});
  const auto refused = udp_exchange(port(), dns_query("example.com", rrtype::kA), "127.0.0.2");
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(parse_reply(*refused).header.rcode, rcode::kRefused);
  const auto answered = udp_exchange(port(), dns_query("db.bar.global", rrtype::kA), "127.0.0.2");
  ASSERT_TRUE(answered.has_value());
  EXPECT_EQ(first_a(*answered), (std::array<uint8_t, 4>{10, 1, 2, 3}));
  EXPECT_EQ(server_->stats().refused, 1U);
  // Nothing went upstream for the client outside the allowed ranges.
  for (const uint64_t forwarded : server_->stats().forwarded)
    EXPECT_EQ(forwarded, 0U);
}

TEST_F(DnsServerTest, RefusedOverUdpIsNoLargerThanTheQuery) {
  config::Config config = server_config("global");
  config.dns.forward.allowed_clients = {"127.0.0.1/32"};
  start(config, {});
  std::vector<std::vector<uint8_t>> queries{dns_query("example.com", rrtype::kA),
                                            dns_query("example.com", rrtype::kAaaa, 4096),
                                            dns_query("global", rrtype::kAxfr)};
  // EDNS with 40 bytes of padding (option 12): our OPT carries none of it.
  std::vector<uint8_t> padded = dns_query("example.com", rrtype::kA, 1232);
  const std::size_t rdlength_at = padded.size() - 2;
  padded[rdlength_at + 1] = 40;
  padded.insert(padded.end(), {0, 12, 0, 36});
  padded.resize(padded.size() + 36, 0);
  queries.push_back(padded);
  for (const auto& query : queries) {
    const auto reply = udp_exchange(port(), query, "127.0.0.2");
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(parse_reply(*reply).header.rcode, rcode::kRefused);
    EXPECT_LE(reply->size(), query.size());
  }
  EXPECT_EQ(server_->stats().refused, queries.size());
}

TEST_F(DnsServerTest, ANewZoneShowsInTheNextAnswer) {
  start(server_config("global"), {{"db.bar.global", {"10.1.2.3"}, "", ""}});
  server_->set_zone(zone_of(config_, {{"db.bar.global", {"10.4.4.4"}, "", ""}}, 2));
  // set_zone posts to the DNS thread; the query is queued behind it.
  const auto reply = udp_exchange(port(), dns_query("db.bar.global", rrtype::kA));
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(first_a(*reply), (std::array<uint8_t, 4>{10, 4, 4, 4}));
}

TEST_F(DnsServerTest, IdleTcpConnectionsAreClosed) {
  config::Config config = server_config("global");
  config.dns.tcp_idle = std::chrono::milliseconds(200);
  start(config, {});
  meshgate::testing::Socket idle =
      meshgate::testing::Socket::connect("127.0.0.1", server_->tcp_endpoint().port());
  EXPECT_TRUE(idle.wait_closed());
}

// Port 53 faces the internet: idle connections cannot keep a query out.
// Past the limit the one longest without an answered query makes room.
TEST_F(DnsServerTest, PastTheLimitTheStalestTcpConnectionMakesRoom) {
  config::Config config = server_config("global");
  config.dns.max_tcp_connections = 2;
  start(config, {{"db.bar.global", {"10.1.2.3"}, "", ""}});
  const uint16_t tcp = server_->tcp_endpoint().port();
  meshgate::testing::Socket idle = meshgate::testing::Socket::connect("127.0.0.1", tcp);
  meshgate::testing::Socket busy = meshgate::testing::Socket::connect("127.0.0.1", tcp);
  ASSERT_TRUE(tcp_exchange(busy, dns_query("db.bar.global", rrtype::kA)).has_value());
  meshgate::testing::Socket fresh = meshgate::testing::Socket::connect("127.0.0.1", tcp);
  EXPECT_TRUE(tcp_exchange(fresh, dns_query("db.bar.global", rrtype::kA)).has_value());
  EXPECT_TRUE(idle.wait_closed());
  EXPECT_TRUE(tcp_exchange(busy, dns_query("db.bar.global", rrtype::kA)).has_value());
  EXPECT_EQ(server_->stats().tcp_rejected, 1U);
}

TEST_F(DnsServerTest, MalformedPacketsAreCountedAndTheServerGoesOn) {
  start(server_config("global"), {{"db.bar.global", {"10.1.2.3"}, "", ""}});
  EXPECT_FALSE(udp_exchange(port(), {1, 2, 3}, "127.0.0.1", 200).has_value());  // dropped
  std::vector<uint8_t> broken = dns_query("db.bar.global", rrtype::kA);
  broken.resize(broken.size() - 2);
  const auto formerr = udp_exchange(port(), broken);
  ASSERT_TRUE(formerr.has_value());
  EXPECT_EQ(parse_reply(*formerr).header.rcode, rcode::kFormErr);
  EXPECT_TRUE(udp_exchange(port(), dns_query("db.bar.global", rrtype::kA)).has_value());
  EXPECT_EQ(server_->stats().malformed, 2U);
}

// A query signed with TSIG (key ".", hmac-sha256, an empty MAC): NOTAUTH,
// counted by reason and by rcode, and both on the metrics page.
TEST_F(DnsServerTest, SignedQueriesAreAnsweredNotAuthAndCounted) {
  start(server_config("global"), {{"db.bar.global", {"10.1.2.3"}, "", ""}});
  using namespace std::string_literals;
  std::vector<uint8_t> query = dns_query("db.bar.global", rrtype::kA);
  const std::string tsig =
      "\x00\x00\xFA\x00\xFF\x00\x00\x00\x00\x00\x1D\x0Bhmac-sha256\x00"
      "\x00\x00\x65\x53\xF1\x00\x01\x2C\x00\x00\x12\x34\x00\x00\x00\x00"s;
  query.insert(query.end(), tsig.begin(), tsig.end());
  query[11] = 1;  // ARCOUNT
  const auto reply = udp_exchange(port(), query);
  ASSERT_TRUE(reply.has_value());
  const Message message = parse_reply(*reply);
  EXPECT_EQ(message.header.rcode, rcode::kNotAuth);
  ASSERT_TRUE(message.tsig.has_value());
  EXPECT_EQ(message.tsig->error, rcode::kBadKey);
  const DnsStatsSnapshot stats = server_->stats();
  EXPECT_EQ(stats.not_authorized[static_cast<std::size_t>(NotAuthReason::kTsig)], 1U);
  EXPECT_EQ(stats.answers[type_index(rrtype::kA)][rcode_index(rcode::kNotAuth)], 1U);
  base::PrometheusWriter page;
  write_dns_metrics(stats, page);
  EXPECT_NE(page.text().find("meshgate_dns_notauth_total{reason=\"tsig\"} 1\n"), std::string::npos);
  EXPECT_NE(page.text().find("meshgate_dns_responses_total{type=\"A\",rcode=\"NOTAUTH\"} 1\n"),
            std::string::npos);
}

TEST(DnsServerLoop, ForwardingToItselfIsRefusedAtStart) {
  // The server's port named as its own upstream. A fixed port is checked
  // before anything binds it, so the port held here (no other test can take
  // it meanwhile) only has to be one.
  asio::io_context io;
  asio::ip::udp::socket held(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const uint16_t port = held.local_endpoint().port();
  config::Config config = server_config("global");
  config.listeners.dns.port = port;
  config.dns.forward.upstreams = {"127.0.0.1:" + std::to_string(port)};
  try {
    DnsServer server(config);
    FAIL() << "a server forwarding to itself started";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("forwarding would loop"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace meshgate::dns
