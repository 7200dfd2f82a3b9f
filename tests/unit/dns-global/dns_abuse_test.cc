// The DNS server under abuse, on real loopback sockets: a burst from one
// client against dns.rate_limit, and a flood of malformed packets over UDP
// and garbage over TCP, after which it still answers.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <random>
#include <span>

#include "dns-global/dns_server.h"
#include "dns-global/reader.h"
#include "tests/support/dns_client.h"
#include "tests/support/harness.h"
#include "tests/support/socket.h"

namespace meshgate::dns {
namespace {

using meshgate::testing::dns_query;
using meshgate::testing::parse_reply;
using meshgate::testing::poll_until;
using meshgate::testing::Socket;
using meshgate::testing::tcp_exchange;
using meshgate::testing::udp_exchange;

// One UDP socket on 127.0.0.1 that sends many datagrams to the server and
// collects what comes back, every wait bounded.
class UdpClient {
 public:
  explicit UdpClient(uint16_t server_port) : socket_(::socket(AF_INET, SOCK_DGRAM, 0)) {
    sockaddr_in from{};
    from.sin_family = AF_INET;
    from.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(socket_.fd(), reinterpret_cast<const sockaddr*>(&from), sizeof from), 0);
    to_.sin_family = AF_INET;
    to_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    to_.sin_port = htons(server_port);
  }

  bool send(std::span<const uint8_t> bytes) {
    return ::sendto(socket_.fd(), bytes.data(), bytes.size(), 0,
                    reinterpret_cast<const sockaddr*>(&to_), sizeof to_) >= 0;
  }

  // The next datagram, or nothing by the deadline.
  std::optional<std::vector<uint8_t>> receive(std::chrono::milliseconds wait) {
    pollfd ready{socket_.fd(), POLLIN, 0};
    if (::poll(&ready, 1, static_cast<int>(wait.count())) != 1) return std::nullopt;
    std::vector<uint8_t> out(65'536);
    const ssize_t n = ::recv(socket_.fd(), out.data(), out.size(), MSG_DONTWAIT);
    if (n < 0) return std::nullopt;
    out.resize(static_cast<std::size_t>(n));
    return out;
  }

 private:
  Socket socket_;
  sockaddr_in to_{};
};

config::Config server_config() {
  config::Config config = meshgate::testing::test_config();
  config.dns.zones = {config::DnsZone{"global", config::DnsAnswer::kVip, {}, true}};
  config.dns.forward.enabled = false;
  config.dns.tcp_idle = std::chrono::milliseconds(300);
  return config;
}

class DnsAbuseTest : public ::testing::Test {
 protected:
  void start(config::Config config) {
    config_ = std::move(config);
    server_ = std::make_unique<DnsServer>(config_);
    std::vector<base::Cidr> ranges;
    for (const auto& text : config_.dns.vip_ranges)
      ranges.push_back(*base::parse_cidr(text));
    const discovery::Snapshot snapshot(1, {}, {{"db.bar.global", {"10.1.2.3"}, "", ""}});
    server_->set_zone(ZoneIndex::build(config_.dns, snapshot, VipAllocator(ranges)));
    server_->start();
  }
  uint16_t port() const { return server_->udp_endpoint().port(); }
  uint16_t tcp_port() const { return server_->tcp_endpoint().port(); }
  uint64_t udp_queries() const { return server_->stats().queries[0]; }

  // Sends `packets` from one socket, `window` at a time, each window once
  // the server has taken the one before: no loss to a full socket buffer.
  void send_paced(UdpClient& client, const std::vector<std::vector<uint8_t>>& packets,
                  std::size_t window = 64) {
    const uint64_t before = udp_queries();
    for (std::size_t i = 0; i < packets.size(); ++i) {
      ASSERT_TRUE(client.send(packets[i]));
      if ((i + 1) % window == 0 || i + 1 == packets.size()) {
        ASSERT_TRUE(poll_until([&] { return udp_queries() == before + i + 1; }))
            << "server took " << udp_queries() - before << " of " << i + 1;
      }
    }
  }

  // The server still answers a good query over both transports.
  void expect_answers() {
    const std::vector<uint8_t> query = dns_query("db.bar.global", rrtype::kA);
    const auto udp = udp_exchange(port(), query);
    ASSERT_TRUE(udp.has_value());
    EXPECT_EQ(parse_reply(*udp).answers.size(), 1U);
    const auto tcp = tcp_exchange(tcp_port(), {query});
    ASSERT_EQ(tcp.size(), 1U);
    EXPECT_EQ(tcp[0], *udp);
  }

  config::Config config_;
  std::unique_ptr<DnsServer> server_;
};

// `count` queries for db.bar.global with ids 0..count-1.
std::vector<std::vector<uint8_t>> good_queries(int count) {
  std::vector<std::vector<uint8_t>> out;
  for (int i = 0; i < count; ++i) {
    std::vector<uint8_t> query = dns_query("db.bar.global", rrtype::kA);
    query[0] = static_cast<uint8_t>(i >> 8);
    query[1] = static_cast<uint8_t>(i);
    out.push_back(std::move(query));
  }
  return out;
}

struct Received {
  int answered = 0;
  int truncated = 0;
};

// Every reply that is due, then nothing more within a short wait.
Received collect(UdpClient& client, std::size_t query_size, uint64_t due) {
  Received out;
  while (static_cast<uint64_t>(out.answered + out.truncated) < due) {
    const auto reply = client.receive(std::chrono::seconds(3));
    if (!reply) break;
    const Message message = parse_reply(*reply);
    if (message.header.tc) {
      ++out.truncated;
      EXPECT_TRUE(message.answers.empty());
      EXPECT_LE(reply->size(), query_size);
    } else {
      ++out.answered;
      EXPECT_EQ(message.answers.size(), 1U);
    }
  }
  EXPECT_FALSE(client.receive(std::chrono::milliseconds(50)).has_value()) << "more than due";
  return out;
}

TEST_F(DnsAbuseTest, RateLimitAnswersTheBurstSlipsSomeAndDropsTheRest) {
  config::Config config = server_config();
  config.dns.rate_limit.responses_per_second = 1;
  config.dns.rate_limit.burst = 10;
  config.dns.rate_limit.slip = 2;
  start(std::move(config));
  UdpClient client(port());
  const auto queries = good_queries(60);
  send_paced(client, queries);
  // A query is counted as it arrives, its outcome a moment later.
  uint64_t answered = 0;
  uint64_t dropped = 0;
  uint64_t slipped = 0;
  EXPECT_TRUE(poll_until([&] {
    const DnsStatsSnapshot stats = server_->stats();
    dropped = stats.rate_limited[static_cast<std::size_t>(RateLimitAction::kDropped)];
    slipped = stats.rate_limited[static_cast<std::size_t>(RateLimitAction::kSlipped)];
    answered = stats.answers[type_index(rrtype::kA)][rcode_index(rcode::kNoError)];
    return answered + dropped + slipped == 60;
  }));
  // The burst, and at most what a slow machine earns meanwhile.
  EXPECT_GE(answered, 10U);
  EXPECT_LE(answered, 15U);
  // Every second answer over the limit is slipped.
  EXPECT_LE(slipped, dropped);
  EXPECT_GE(slipped + 1, dropped);
  const Received received = collect(client, queries[0].size(), answered + slipped);
  EXPECT_EQ(static_cast<uint64_t>(received.answered), answered);
  EXPECT_EQ(static_cast<uint64_t>(received.truncated), slipped);
  // TCP is never limited: the slipped client's retry is answered.
  const auto tcp = tcp_exchange(tcp_port(), good_queries(20));
  EXPECT_EQ(tcp.size(), 20U);
}

TEST_F(DnsAbuseTest, RateLimitOffAnswersEveryQuery) {
  start(server_config());
  UdpClient client(port());
  const auto queries = good_queries(60);
  send_paced(client, queries);
  const Received received = collect(client, queries[0].size(), 60);
  EXPECT_EQ(received.answered, 60);
  EXPECT_EQ(received.truncated, 0);
  const DnsStatsSnapshot stats = server_->stats();
  EXPECT_EQ(stats.rate_limited, (std::array<uint64_t, 2>{0, 0}));
}

// Hostile datagrams, each of a kind the server must count as malformed,
// and how many of them there are.
std::vector<std::vector<uint8_t>> malformed_datagrams(std::mt19937& random) {
  std::vector<std::vector<uint8_t>> out;
  const std::vector<uint8_t> header{0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  for (int i = 0; i < 300; ++i) {  // truncated headers, the empty datagram too
    out.emplace_back(header.begin(), header.begin() + i % 12);
  }
  for (int i = 0; i < 300; ++i) {  // pointer loops and pointers into the header
    std::vector<uint8_t> loop = header;
    const uint8_t target = static_cast<uint8_t>(i % 2 == 0 ? 12 : i % 12);
    loop.insert(loop.end(), {0xC0, target, 0, 1, 0, 1});
    out.push_back(std::move(loop));
  }
  for (int i = 0; i < 300; ++i) {  // a name of 200 one-byte labels: over 255 bytes
    std::vector<uint8_t> huge = header;
    for (int label = 0; label < 200; ++label)
      huge.insert(huge.end(), {1, static_cast<uint8_t>('a' + i % 26)});
    huge.insert(huge.end(), {0, 0, 1, 0, 1});
    out.push_back(std::move(huge));
  }
  for (int i = 0; i < 300; ++i) {  // a question cut short, a count past the end
    std::vector<uint8_t> cut = dns_query("db.bar.global", rrtype::kA);
    cut.resize(12 + static_cast<std::size_t>(i % 18));
    cut[5] = static_cast<uint8_t>(1 + i % 7);
    out.push_back(std::move(cut));
  }
  for (int i = 0; i < 300; ++i) {  // bad label types 0b01 and 0b10
    std::vector<uint8_t> bad = header;
    bad.insert(bad.end(), {static_cast<uint8_t>(i % 2 == 0 ? 0x41 : 0x81), 'x', 0, 0, 1, 0, 1});
    out.push_back(std::move(bad));
  }
  std::shuffle(out.begin(), out.end(), random);
  return out;
}

// Responses (QR set) and random bytes: the server may drop or answer them.
std::vector<std::vector<uint8_t>> other_garbage(std::mt19937& random) {
  std::vector<std::vector<uint8_t>> out;
  for (int i = 0; i < 500; ++i) {
    std::vector<uint8_t> response = dns_query("db.bar.global", rrtype::kA);
    response[2] |= 0x80;
    out.push_back(std::move(response));
  }
  std::uniform_int_distribution<int> length(0, 600);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int i = 0; i < 1500; ++i) {
    std::vector<uint8_t> noise(static_cast<std::size_t>(length(random)));
    for (uint8_t& b : noise)
      b = static_cast<uint8_t>(byte(random));
    out.push_back(std::move(noise));
  }
  return out;
}

TEST_F(DnsAbuseTest, MalformedUdpFloodIsCountedAndTheServerGoesOn) {
  start(server_config());
  std::mt19937 random(20261130);
  const auto malformed = malformed_datagrams(random);
  const auto garbage = other_garbage(random);
  UdpClient client(port());
  send_paced(client, malformed);
  // Counted as malformed, every one (a moment after it arrived).
  EXPECT_TRUE(poll_until([&] { return server_->stats().malformed == malformed.size(); }))
      << server_->stats().malformed;
  send_paced(client, garbage);
  EXPECT_TRUE(poll_until([&] {
    return server_->stats().dropped[static_cast<std::size_t>(DropReason::kResponse)] >= 500;
  }));
  const DnsStatsSnapshot stats = server_->stats();
  EXPECT_EQ(stats.queries[0], malformed.size() + garbage.size());
  EXPECT_GE(stats.malformed, malformed.size());
  expect_answers();
}

// Writes `bytes` on a new connection, perhaps half-closes it, and closes it.
void tcp_garbage(uint16_t port, std::span<const uint8_t> bytes, bool half_close) {
  Socket socket = Socket::connect("127.0.0.1", port);
  ASSERT_TRUE(socket.valid());
  if (!bytes.empty()) {
    ASSERT_TRUE(socket.send_all(bytes));
  }
  if (half_close) socket.shutdown_write();
}

TEST_F(DnsAbuseTest, TcpGarbageIsSurvived) {
  start(server_config());
  std::mt19937 random(7);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int i = 0; i < 50; ++i)  // open and close at once
    tcp_garbage(tcp_port(), {}, i % 2 == 0);
  // A length, then fewer bytes than it says, then EOF.
  const std::vector<uint8_t> short_body{0xFF, 0xFF, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  tcp_garbage(tcp_port(), short_body, true);
  // A whole 64 KiB message of noise, then a message too short for a header.
  std::vector<uint8_t> noise{0xFF, 0xFF};
  for (int i = 0; i < 65'535; ++i)
    noise.push_back(static_cast<uint8_t>(byte(random)));
  noise.insert(noise.end(), {0, 3, 1, 2, 3});
  tcp_garbage(tcp_port(), noise, true);
  // A zero length: the connection is closed.
  Socket zero = Socket::connect("127.0.0.1", tcp_port());
  ASSERT_TRUE(zero.send_all(std::vector<uint8_t>{0, 0}));
  EXPECT_TRUE(zero.wait_closed());
  // A length prefix, then silence: closed after dns.tcp_idle.
  Socket silent = Socket::connect("127.0.0.1", tcp_port());
  ASSERT_TRUE(silent.send_all(std::vector<uint8_t>{0, 40, 0xab}));
  EXPECT_TRUE(silent.wait_closed());
  // A short message, then a good query on the same connection: answered.
  std::vector<uint8_t> mixed{0, 3, 1, 2, 3};
  const std::vector<uint8_t> query = dns_query("db.bar.global", rrtype::kA);
  mixed.push_back(0);
  mixed.push_back(static_cast<uint8_t>(query.size()));
  mixed.insert(mixed.end(), query.begin(), query.end());
  Socket socket = Socket::connect("127.0.0.1", tcp_port());
  ASSERT_TRUE(socket.send_all(mixed));
  std::array<uint8_t, 2> length{};
  ASSERT_EQ(::recv(socket.fd(), length.data(), 2, MSG_WAITALL), 2);
  std::vector<uint8_t> reply(static_cast<std::size_t>(length[0] << 8 | length[1]));
  ASSERT_EQ(::recv(socket.fd(), reply.data(), reply.size(), MSG_WAITALL),
            static_cast<ssize_t>(reply.size()));
  EXPECT_EQ(parse_reply(reply).answers.size(), 1U);
  // Every connection but the last ends; the short message and the zero
  // length are counted (the noise may add more: its connection may be
  // reset before the short message after it is read).
  EXPECT_TRUE(poll_until([&] { return server_->stats().tcp_active == 1; }));
  EXPECT_GE(server_->stats().malformed, 2U);
  EXPECT_GE(server_->stats().dropped[static_cast<std::size_t>(DropReason::kShort)], 2U);
  expect_answers();
}

}  // namespace
}  // namespace meshgate::dns
