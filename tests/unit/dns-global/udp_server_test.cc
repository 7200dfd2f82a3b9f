// The UDP front end on a wildcard address, with real loopback sockets: each
// reply leaves from the address its query was sent to (RFC 1122 §4.1.3.5),
// whether given in the batch the query came in or later, as a forwarded
// answer is. A client that checks the source (dig's connected socket, ISC's
// genreport) drops a reply from any other address. The wildcard binds are
// made in a network namespace of the test's own (tests/support/netns.h), so
// nothing outside the machine's loopback can reach them; without the
// privilege for one, those tests are skipped.
#include "dns-global/udp_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/netns.h"
#include "tests/support/socket.h"

namespace meshgate::dns {
namespace {

using meshgate::testing::Socket;

// `address` (an IPv4 or IPv6 literal) and `port` as a socket address.
std::optional<sockaddr_storage> socket_address(const std::string& address, uint16_t port) {
  sockaddr_storage out{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out);
  if (::inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
  } else if (::inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
  } else {
    return std::nullopt;
  }
  return out;
}

socklen_t length_of(const sockaddr_storage& address) {
  return address.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
}

// A datagram and the address it came from.
struct Received {
  std::vector<uint8_t> bytes;
  std::string from;
};

// A client socket bound to `source`, port 0.
class Peer {
 public:
  explicit Peer(const std::string& source) {
    const auto at = socket_address(source, 0);
    if (!at) return;
    Socket socket(::socket(at->ss_family, SOCK_DGRAM, 0));
    if (!socket.valid()) return;
    if (::bind(socket.fd(), reinterpret_cast<const sockaddr*>(&*at), length_of(*at)) != 0) return;
    socket_ = std::move(socket);
  }
  bool valid() const { return socket_.valid(); }

  bool send(const std::string& to, uint16_t port, const std::vector<uint8_t>& bytes) {
    const auto address = socket_address(to, port);
    return address && ::sendto(socket_.fd(), bytes.data(), bytes.size(), 0,
                               reinterpret_cast<const sockaddr*>(&*address),
                               length_of(*address)) == static_cast<ssize_t>(bytes.size());
  }

  // The next datagram, or nothing after 5 s.
  std::optional<Received> receive() {
    pollfd ready{socket_.fd(), POLLIN, 0};
    if (::poll(&ready, 1, 5000) != 1) return std::nullopt;
    Received out{std::vector<uint8_t>(512), {}};
    sockaddr_storage from{};
    socklen_t length = sizeof from;
    const ssize_t n = ::recvfrom(socket_.fd(), out.bytes.data(), out.bytes.size(), 0,
                                 reinterpret_cast<sockaddr*>(&from), &length);
    if (n < 0) return std::nullopt;
    out.bytes.resize(static_cast<std::size_t>(n));
    char text[INET6_ADDRSTRLEN] = {};
    const void* address =
        from.ss_family == AF_INET
            ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&from)->sin_addr)
            : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&from)->sin6_addr);
    out.from = ::inet_ntop(from.ss_family, address, text, sizeof text) ? text : "?";
    return out;
  }

 private:
  Socket socket_;
};

bool ipv6_loopback_works() {
  return Peer("::1").valid();
}

class UdpServerTest : public ::testing::Test {
 protected:
  ~UdpServerTest() override {
    if (server_) asio::post(io_, [this] { server_->stop(); });
    asio::post(io_, [this] { io_.stop(); });
    if (thread_.joinable()) {
      thread_.join();
    }
  }

  // A server on `address` port 0 whose answer is the query itself; given
  // later, outside the receive batch, when `later`.
  void start(const std::string& address, bool later = false) {
    Resolve echo = [this, later](std::span<const uint8_t> query, const Client&, Done done) {
      std::vector<uint8_t> answer(query.begin(), query.end());
      if (!later) return done(std::move(answer));
      asio::post(io_, [done = std::move(done), answer = std::move(answer)]() mutable {
        done(std::move(answer));
      });
    };
    server_ = std::make_unique<UdpServer>(
        io_, asio::ip::udp::endpoint(asio::ip::make_address(address), 0), echo, stats_);
    server_->start();
  }
  // The DNS thread; queries sent before it runs arrive in one batch.
  void run() {
    thread_ = std::thread([this] { io_.run(); });
  }
  uint16_t port() const { return server_->local_endpoint().port(); }
  // Moves the test into a network namespace of its own before a wildcard
  // bind; false (with isolation_error_) when it cannot.
  bool isolated() {
    const std::string why = testing::enter_private_network();
    if (!why.empty()) isolation_error_ = "a wildcard bind needs its own network namespace: " + why;
    return why.empty();
  }

  // From a client on `source`, a query to each of `targets` (all queued
  // before the server reads), then each reply's source, in order.
  std::vector<std::string> sources_of_replies(const std::string& source,
                                              const std::vector<std::string>& targets) {
    std::vector<std::unique_ptr<Peer>> peers;
    for (const std::string& target : targets) {
      peers.push_back(std::make_unique<Peer>(source));
      EXPECT_TRUE(
          peers.back()->send(target, port(), {0x12, 0x34, static_cast<uint8_t>(peers.size())}));
    }
    run();
    std::vector<std::string> out;
    for (std::size_t i = 0; i < peers.size(); ++i) {
      const auto reply = peers[i]->receive();
      out.push_back(reply ? reply->from : "no reply");
      if (reply) {
        EXPECT_EQ(static_cast<std::size_t>(reply->bytes.back()), i + 1);  // in order
      }
    }
    return out;
  }

  asio::io_context io_{1};
  DnsStats stats_;
  std::unique_ptr<UdpServer> server_;
  std::thread thread_;
  std::string isolation_error_;
};

// Linux answers a socket bound to 0.0.0.0 from the address it routes by
// (127.0.0.1 on loopback) unless the reply names its source.
TEST_F(UdpServerTest, OnTheIpv4WildcardEachReplyLeavesFromTheAddressQueried) {
  if (!isolated()) GTEST_SKIP() << isolation_error_;
  start("0.0.0.0");
  const std::vector<std::string> targets{"127.0.0.2", "127.0.0.3", "127.0.0.1", "127.0.0.2"};
  EXPECT_EQ(sources_of_replies("127.0.0.1", targets), targets);
}

TEST_F(UdpServerTest, AnswersGivenLaterLeaveFromTheAddressQueriedToo) {
  if (!isolated()) GTEST_SKIP() << isolation_error_;
  start("0.0.0.0", true);
  const std::vector<std::string> targets{"127.0.0.2", "127.0.0.3"};
  EXPECT_EQ(sources_of_replies("127.0.0.1", targets), targets);
}

// A client whose socket is connected to the address it queried (as dig's
// is) gets the reply at all.
TEST_F(UdpServerTest, AConnectedClientGetsItsReply) {
  if (!isolated()) GTEST_SKIP() << isolation_error_;
  start("0.0.0.0");
  Socket client(::socket(AF_INET, SOCK_DGRAM, 0));
  const auto to = socket_address("127.0.0.2", port());
  ASSERT_TRUE(to.has_value());
  ASSERT_EQ(::connect(client.fd(), reinterpret_cast<const sockaddr*>(&*to), length_of(*to)), 0);
  const std::vector<uint8_t> query{0xab, 0xcd, 0x01};
  ASSERT_EQ(::send(client.fd(), query.data(), query.size(), 0), 3);
  run();
  pollfd ready{client.fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&ready, 1, 5000), 1);
  std::vector<uint8_t> reply(16);
  EXPECT_EQ(::recv(client.fd(), reply.data(), reply.size(), 0), 3);
}

// On `::` (dual-stack), IPv4 queries arrive as IPv4-mapped addresses and
// their replies must leave from the IPv4 address queried.
TEST_F(UdpServerTest, OnTheDualStackWildcardIpv4RepliesLeaveFromTheAddressQueried) {
  if (!isolated()) GTEST_SKIP() << isolation_error_;
  if (!ipv6_loopback_works()) GTEST_SKIP() << "no IPv6 loopback";
  start("::");
  const std::vector<std::string> targets{"127.0.0.2", "127.0.0.3"};
  EXPECT_EQ(sources_of_replies("127.0.0.1", targets), targets);
}

TEST_F(UdpServerTest, OnTheIpv6WildcardIpv6RepliesLeaveFromTheAddressQueried) {
  if (!isolated()) GTEST_SKIP() << isolation_error_;
  if (!ipv6_loopback_works()) GTEST_SKIP() << "no IPv6 loopback";
  start("::", true);
  EXPECT_EQ(sources_of_replies("::1", {"::1", "::1"}), (std::vector<std::string>{"::1", "::1"}));
}

// Bound to one address, the socket needs no help: replies come from it.
TEST_F(UdpServerTest, OnASpecificAddressRepliesLeaveFromIt) {
  start("127.0.0.2");
  EXPECT_EQ(sources_of_replies("127.0.0.1", {"127.0.0.2"}),
            (std::vector<std::string>{"127.0.0.2"}));
}

}  // namespace
}  // namespace meshgate::dns
