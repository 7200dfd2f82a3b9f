// The relay's edges: half-close, bounded buffers, timeouts, limits. The
// backend here is a plain TCP socket the test drives by hand, behind a real
// ClientHello, so every byte and FIN is visible.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "tests/support/harness.h"
#include "tests/support/openssl_hello.h"
#include "tests/support/socket.h"
#include "tests/support/splice_modes.h"

namespace meshgate::testing {
namespace {

using gateway::CloseReason;

std::vector<uint8_t> hello(std::size_t padding = 0) {
  return openssl_client_hello({.tls13 = true,
                               .server_name = "outbound_.8000_._.httpbin.bar.svc.cluster.local",
                               .alpn = {"istio"},
                               .padding_extension_size = padding});
}

// Every relay test runs in each mode: auto (the default), splicing and
// copying; the limits (mode-agnostic) in the two fixed ones.
// The backends here speak only when the test makes them: no first byte is
// awaited after the hello.
config::Config relaying(config::Config config, config::SpliceMode splice) {
  config.passthrough.splice = splice;
  config.timeouts.upstream_first_byte = std::chrono::milliseconds(0);
  return config;
}

class Relay : public ::testing::TestWithParam<config::SpliceMode> {
 protected:
  explicit Relay(config::Config config = test_config())
      : gateway_(relaying(std::move(config), GetParam())) {
    gateway_.set_services({httpbin_service({local_endpoint(backend_.port(), "v1")})});
  }

  // Connects through the gateway and returns both ends once the backend got
  // the ClientHello.
  std::pair<Socket, Socket> open_through() {
    Socket client = Socket::connect("127.0.0.1", gateway_.port());
    const auto bytes = hello();
    EXPECT_TRUE(client.send_all(bytes));
    Socket upstream = backend_.accept();
    EXPECT_TRUE(upstream.valid());
    std::vector<uint8_t> got(bytes.size());
    EXPECT_EQ(::recv(upstream.fd(), got.data(), got.size(), MSG_WAITALL),
              static_cast<ssize_t>(bytes.size()));
    EXPECT_EQ(got, bytes);  // replayed unchanged
    return {std::move(client), std::move(upstream)};
  }

  Listener backend_;
  GatewayUnderTest gateway_;
};

TEST_P(Relay, HalfCloseIsCarriedAcrossAndTheOtherWayKeepsFlowing) {
  auto [client, upstream] = open_through();
  ASSERT_TRUE(client.send_all("request"));
  client.shutdown_write();
  EXPECT_EQ(upstream.read_to_eof(), "request");  // the FIN arrived after the data
  ASSERT_TRUE(upstream.send_all("answer after the client's FIN"));
  upstream.shutdown_write();
  EXPECT_EQ(client.read_to_eof(), "answer after the client's FIN");
  EXPECT_TRUE(gateway_.eventually(
      [](const auto& s) { return s.closed_by(CloseReason::kCompleted) == 1 && s.active == 0; }));
}

TEST_P(Relay, UpstreamFinFirstAlsoHalfCloses) {
  auto [client, upstream] = open_through();
  ASSERT_TRUE(upstream.send_all("server speaks first"));
  upstream.shutdown_write();
  EXPECT_EQ(client.read_to_eof(), "server speaks first");
  ASSERT_TRUE(client.send_all("late request"));
  client.shutdown_write();
  EXPECT_EQ(upstream.read_to_eof(), "late request");
  EXPECT_TRUE(gateway_.eventually(
      [](const auto& s) { return s.closed_by(CloseReason::kCompleted) == 1 && s.active == 0; }));
}

// The largest a kernel socket buffer of this kind may grow to (tcp_rmem or
// tcp_wmem, third field).
std::size_t kernel_buffer_max(const char* file) {
  std::ifstream in(file);
  std::size_t min = 0, def = 0, max = 0;
  in >> min >> def >> max;
  return max;
}

TEST_P(Relay, ClientThatNeverReadsDoesNotGrowTheGateway) {
  auto [client, upstream] = open_through();
  // Push from the backend until the path stalls for 300 ms. What fits is the
  // kernel's buffers (backend send, gateway receive and send, client
  // receive) plus the gateway's own bounded buffer, never the 256 MiB offered.
  upstream.set_timeout_ms(300);
  const std::string chunk(1 << 16, 'x');
  std::size_t pushed = 0;
  while (pushed < (256u << 20)) {
    const ssize_t n = ::send(upstream.fd(), chunk.data(), chunk.size(), MSG_NOSIGNAL);
    if (n <= 0) break;
    pushed += static_cast<std::size_t>(n);
  }
  const std::size_t rmem = kernel_buffer_max("/proc/sys/net/ipv4/tcp_rmem");
  const std::size_t wmem = kernel_buffer_max("/proc/sys/net/ipv4/tcp_wmem");
  ASSERT_GT(rmem, 0u);
  const std::size_t bound = 2 * (rmem + wmem) + test_config().limits.buffer_bytes;
  EXPECT_LT(pushed, bound) << "the gateway kept reading from a backend whose client never reads";
  // And the gateway has stopped moving bytes: its counter holds still.
  const uint64_t relayed = gateway_.stats().bytes_from_upstream;
  EXPECT_FALSE(poll_until([&] { return gateway_.stats().bytes_from_upstream != relayed; },
                          std::chrono::milliseconds(300)));
}

// Megabytes both ways at once, each byte in order: what the relay moves is
// exactly what was sent, and the counters say so.
TEST_P(Relay, BulkBytesArriveIntactBothWays) {
  auto [client_end, upstream_end] = open_through();
  Socket& client = client_end;  // lambdas cannot capture structured bindings (clang 14)
  Socket& upstream = upstream_end;
  std::string up(6 << 20, '\0');
  std::string down(5 << 20, '\0');
  for (std::size_t i = 0; i < up.size(); ++i)
    up[i] = static_cast<char>((i * 7 + i / 4093) & 0xff);
  for (std::size_t i = 0; i < down.size(); ++i)
    down[i] = static_cast<char>((i * 13 + i / 1021) & 0xff);
  std::string at_upstream, at_client;
  std::thread backend([&] {
    std::thread writer([&] {
      upstream.send_all(down);
      upstream.shutdown_write();
    });
    at_upstream = upstream.read_to_eof(16 << 20);
    writer.join();
  });
  std::thread writer([&] {
    client.send_all(up);
    client.shutdown_write();
  });
  at_client = client.read_to_eof(16 << 20);
  writer.join();
  backend.join();
  EXPECT_TRUE(at_upstream == up) << at_upstream.size() << " of " << up.size() << " bytes";
  EXPECT_TRUE(at_client == down) << at_client.size() << " of " << down.size() << " bytes";
  EXPECT_TRUE(gateway_.eventually([&](const auto& s) {
    return s.closed_by(CloseReason::kCompleted) == 1 && s.bytes_from_upstream == down.size() &&
           s.bytes_from_client == up.size() + hello().size();
  }));
  EXPECT_EQ(gateway_.stats().splice_fallbacks, 0u);
  // Megabytes sent as fast as the sockets take them fill read after read:
  // auto splices them.
  EXPECT_EQ(gateway_.stats().turned_to_splice > 0, GetParam() == config::SpliceMode::kAuto);
}

TEST_P(Relay, ClientResetIsPassedOnAsAReset) {
  auto [client, upstream] = open_through();
  reset_close(client);
  EXPECT_EQ(next_event(upstream), "reset");
  EXPECT_TRUE(gateway_.eventually(
      [](const auto& s) { return s.closed_by(CloseReason::kClientReset) == 1; }));
}

TEST_P(Relay, CleanCloseIsPassedOnAsAFin) {
  auto [client, upstream] = open_through();
  client = Socket();
  EXPECT_EQ(next_event(upstream), "eof");
}

TEST_P(Relay, ShutdownClosesRelayedAndPendingConnections) {
  auto [client, upstream] = open_through();
  Socket pending = Socket::connect("127.0.0.1", gateway_.port());
  ASSERT_TRUE(pending.send_all(std::span<const uint8_t>(hello()).first(20)));
  ASSERT_TRUE(gateway_.eventually([](const auto& s) { return s.active == 2; }));
  gateway_.stop();
  EXPECT_EQ(gateway_.closed(CloseReason::kShutdown), 2u);
  EXPECT_EQ(gateway_.stats().active, 0u);
  EXPECT_TRUE(client.wait_closed());
  EXPECT_TRUE(pending.wait_closed());
  EXPECT_TRUE(upstream.wait_closed());
}

config::Config short_timeouts() {
  config::Config config = test_config();
  config.timeouts.client_hello = std::chrono::milliseconds(200);
  config.timeouts.idle = std::chrono::milliseconds(300);
  config.limits.max_client_hello_bytes = 1024;
  config.limits.max_connections = 3;
  return config;
}

class RelayLimits : public Relay {
 protected:
  RelayLimits() : Relay(short_timeouts()) {}
};

TEST_P(RelayLimits, SilentClientIsClosedAtTheHelloTimeout) {
  Socket client = Socket::connect("127.0.0.1", gateway_.port());
  ASSERT_TRUE(client.send_all(
      std::span<const uint8_t>(hello()).first(10)));  // a valid prefix, then nothing
  EXPECT_TRUE(client.wait_closed());
  EXPECT_TRUE(gateway_.eventually(
      [](const auto& s) { return s.closed_by(CloseReason::kHelloTimeout) == 1; }));
}

TEST_P(RelayLimits, IdleConnectionIsClosedAtTheIdleTimeout) {
  // connect (2 s) is longer than idle (300 ms): the idle deadline must still
  // be the one that counts once relaying starts.
  auto [client, upstream] = open_through();
  ASSERT_TRUE(client.send_all("one message"));
  char buffer[32];
  EXPECT_EQ(::recv(upstream.fd(), buffer, 11, MSG_WAITALL), 11);
  const auto last_activity = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.wait_closed());
  const auto idle_for = std::chrono::steady_clock::now() - last_activity;
  EXPECT_GE(idle_for, std::chrono::milliseconds(250));
  EXPECT_LT(idle_for, std::chrono::milliseconds(1500));
  EXPECT_TRUE(upstream.wait_closed());
  EXPECT_TRUE(gateway_.eventually(
      [](const auto& s) { return s.closed_by(CloseReason::kIdleTimeout) == 1; }));
}

TEST_P(RelayLimits, TrafficKeepsAConnectionAlivePastTheIdleTimeout) {
  auto [client, upstream] = open_through();
  // A byte every 100 ms for 900 ms: three idle timeouts long, never idle.
  for (int i = 0; i < 9; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the traffic's pace
    ASSERT_TRUE(client.send_all("x"));
    ASSERT_EQ(next_event(upstream), "data") << "closed after " << i * 100 << " ms";
  }
  EXPECT_EQ(gateway_.closed(CloseReason::kIdleTimeout), 0u);
}

TEST(RelayConnect, UnansweredConnectTimesOut) {
  config::Config config = test_config();
  config.timeouts.connect = std::chrono::milliseconds(200);
  GatewayUnderTest gateway(config);
  Blackhole blackhole;
  gateway.set_services({httpbin_service({local_endpoint(blackhole.port(), "v1")})});
  Socket client = Socket::connect("127.0.0.1", gateway.port());
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(client.send_all(hello()));
  EXPECT_TRUE(client.wait_closed());
  // One attempt: the cluster has one endpoint and attempts never repeat one.
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, std::chrono::milliseconds(180));
  EXPECT_LT(waited, std::chrono::milliseconds(1500));
  EXPECT_TRUE(gateway.eventually(
      [](const auto& s) { return s.closed_by(CloseReason::kConnectFailed) == 1; }));
  EXPECT_EQ(gateway.stats().connect_failures, 1u);
}

TEST(RelayConnect, TimedOutEndpointIsSkippedForALiveOne) {
  config::Config config = test_config();
  config.workers = 1;
  config.timeouts.connect = std::chrono::milliseconds(200);
  GatewayUnderTest gateway(config);
  Blackhole blackhole;
  Listener live;
  gateway.set_services({httpbin_service(
      {local_endpoint(blackhole.port(), "v1"), local_endpoint(live.port(), "v1")})});
  // Round robin over two endpoints: of two connections one tries the
  // blackhole first, times out, and must still reach the live endpoint.
  std::vector<Socket> clients;
  for (int i = 0; i < 2; ++i) {
    clients.push_back(Socket::connect("127.0.0.1", gateway.port()));
    ASSERT_TRUE(clients.back().send_all(hello()));
    EXPECT_TRUE(live.accept().valid()) << "connection " << i;
  }
  EXPECT_EQ(gateway.stats().connect_failures, 1u);
  EXPECT_EQ(gateway.closed(CloseReason::kConnectFailed), 0u);
}

TEST_P(RelayLimits, OversizedClientHelloIsClosed) {
  Socket client = Socket::connect("127.0.0.1", gateway_.port());
  ASSERT_TRUE(client.send_all(
      openssl_client_hello({.server_name = "outbound_.8000_._.httpbin.bar.svc.cluster.local",
                            .alpn = {"istio"},
                            .padding_extension_size = 2048})));
  EXPECT_TRUE(client.wait_closed());
  EXPECT_TRUE(gateway_.eventually(
      [](const auto& s) { return s.closed_by(CloseReason::kHelloTooLarge) == 1; }));
}

TEST_P(RelayLimits, ConnectionsOverTheMaximumAreRefused) {
  std::vector<std::pair<Socket, Socket>> open_ones;
  for (int i = 0; i < 3; ++i)
    open_ones.push_back(open_through());
  Socket extra = Socket::connect("127.0.0.1", gateway_.port());
  EXPECT_TRUE(extra.wait_closed());
  EXPECT_TRUE(gateway_.eventually(
      [](const auto& s) { return s.closed_by(CloseReason::kOverCapacity) == 1; }));
  open_ones.clear();  // closing frees the slots
  EXPECT_TRUE(gateway_.eventually([](const auto& s) { return s.active == 0; }));
  auto again = open_through();
  EXPECT_TRUE(again.second.valid());
}

TEST_P(RelayLimits, ClientClosingBeforeItsHelloIsCounted) {
  Socket client = Socket::connect("127.0.0.1", gateway_.port());
  ASSERT_TRUE(client.send_all(std::span<const uint8_t>(hello()).first(5)));
  client = Socket();
  EXPECT_TRUE(gateway_.eventually(
      [](const auto& s) { return s.closed_by(CloseReason::kClientClosedEarly) == 1; }));
}

INSTANTIATE_TEST_SUITE_P(Modes, Relay, all_splice_modes(), splice_mode_name);
INSTANTIATE_TEST_SUITE_P(Modes, RelayLimits,
                         ::testing::Values(config::SpliceMode::kAlways, config::SpliceMode::kNever),
                         splice_mode_name);

}  // namespace
}  // namespace meshgate::testing
