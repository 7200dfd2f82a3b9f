// Endpoints that accept a connection and then say nothing, and peers that
// leave a connection half-closed (issue 17, item 2). A silent endpoint must
// cost a client a few seconds at most, never its connection: after the
// ClientHello it has timeouts.upstream_first_byte to answer, else the next
// endpoint gets the same hello, and connect-failure outlier ejection takes
// the silent one out. A connection whose one side has finished may not wait
// the whole idle timeout for the other. Both sockets of a relayed
// connection carry TCP keepalive.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/app_harness.h"
#include "tests/support/fault_peers.h"
#include "tests/support/harness.h"
#include "tests/support/openssl_hello.h"
#include "tests/support/socket.h"
#include "tests/support/tls_client.h"

namespace meshgate::testing {
namespace {

using app::HttpPort;
using gateway::ListenerKind;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* kSni = "outbound_.8000_._.httpbin.bar.svc.cluster.local";

class SilentEndpoint : public ::testing::Test {
 protected:
  SilentEndpoint() {
    v1_ = backends_.add({"v1", pki_.server.cert_pem, pki_.server.key_pem, pki_.ca.cert_pem, false});
    backends_.start();
  }

  // httpbin.bar with endpoints on `ports`, served by the app under `config`.
  void start(config::Config config, const std::vector<uint16_t>& ports) {
    config.discovery.files = {
        {dir_.write("registry.yaml", registry_yaml({{"httpbin", "bar", 8000, ports}})),
         milliseconds(50)}};
    app_ = std::make_unique<AppUnderTest>(std::move(config));
    ASSERT_TRUE(poll_until([&] { return app_->app().gateway().routes()->table != nullptr; }));
  }

  TlsClientOptions client() const { return httpbin_client(pki_, kSni); }

  // The ClientHello a client sent, as the endpoint `upstream` reads it.
  static std::vector<uint8_t> read_hello(Socket& upstream, std::size_t size) {
    std::vector<uint8_t> got(size);
    const ssize_t n = ::recv(upstream.fd(), got.data(), got.size(), MSG_WAITALL);
    got.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return got;
  }

  double metric(const std::string& series) const { return app_->metric(series); }
  double closed(const std::string& reason) const {
    return metric("meshgate_connections_closed_total{listener=\"passthrough\",reason=\"" + reason +
                  "\"}");
  }

  // The gateway closes `socket` no sooner than `bound` (less a little slack)
  // after `since`, and long before any other timeout, counted as `reason`.
  void expect_closed_at(Socket& socket, Clock::time_point since, milliseconds bound,
                        const std::string& reason) const {
    EXPECT_TRUE(socket.wait_closed());
    const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - since);
    EXPECT_GE(took, bound - milliseconds(50));
    EXPECT_LT(took, bound + milliseconds(1700));
    EXPECT_TRUE(poll_until([&] { return closed(reason) == 1; })) << reason;
  }

  TestPki pki_;
  Backends backends_;
  uint16_t v1_ = 0;
  TempDir dir_;
  std::unique_ptr<AppUnderTest> app_;
};

// Half the round-robin picks land on the silent endpoint first: each of those
// costs its client the first-byte bound and then reaches the live endpoint
// with the same hello. After two such failures in a row the silent one is
// ejected and later clients never wait at all.
TEST_F(SilentEndpoint, IsRetriedWithTheSameHelloAndEjected) {
  SilentBackend silent;
  config::Config config = test_config();
  config.workers = 1;  // one balancer, one outlier detector: a deterministic order
  config.timeouts.upstream_first_byte = milliseconds(300);
  config.outlier.consecutive_failures = 2;
  ASSERT_NO_FATAL_FAILURE(start(config, {silent.port(), v1_}));
  milliseconds slowest{0};
  for (int i = 0; i < 8; ++i) {
    const Clock::time_point began = Clock::now();
    TlsClient tls(app_->port(ListenerKind::kPassthrough), client());
    ASSERT_TRUE(tls.handshake_ok()) << "connection " << i << ": " << tls.error();
    EXPECT_NE(tls.http_get().find("hello from v1"), std::string::npos) << "connection " << i;
    tls.close();
    slowest = std::max(slowest, std::chrono::duration_cast<milliseconds>(Clock::now() - began));
  }
  std::printf("[  silent  ] slowest of 8 connections: %lld ms; the silent endpoint took %d\n",
              static_cast<long long>(slowest.count()), silent.accepted());
  EXPECT_LT(slowest, milliseconds(2000));
  EXPECT_EQ(silent.accepted(), 2);         // the third pick would have come after the ejection
  EXPECT_GT(silent.bytes_received(), 0u);  // it did get the hello each time
  EXPECT_EQ(metric("meshgate_upstream_first_byte_timeouts_total{listener=\"passthrough\"}"), 2);
  EXPECT_EQ(metric("meshgate_outlier_ejections_total{listener=\"passthrough\"}"), 1);
  EXPECT_EQ(closed("connect_failed"), 0);
  const std::string clusters = app_->get(HttpPort::kAdmin, "/clusters").body;
  EXPECT_NE(clusters.find("\"ejected\""), std::string::npos) << clusters;
}

// What the client sends while the gateway waits for the silent endpoint goes
// on to it, and is replayed with the hello to the next endpoint.
TEST_F(SilentEndpoint, BytesSentDuringTheWaitReachTheNextEndpointToo) {
  SilentBackend silent;
  Listener backend;
  config::Config config = test_config();
  config.workers = 1;
  config.timeouts.upstream_first_byte = milliseconds(500);
  ASSERT_NO_FATAL_FAILURE(start(config, {silent.port(), backend.port()}));
  const std::vector<uint8_t> hello = openssl_client_hello({.server_name = kSni, .alpn = {"istio"}});
  // Round robin starts anywhere: the case needs the silent endpoint first.
  for (int attempt = 0; attempt < 3; ++attempt) {
    Socket socket = Socket::connect("127.0.0.1", app_->port(ListenerKind::kPassthrough));
    const std::size_t before = silent.bytes_received();
    ASSERT_TRUE(socket.send_all(hello));
    Socket upstream;
    ASSERT_TRUE(poll_until([&] {
      if (silent.bytes_received() >= before + hello.size()) return true;
      upstream = backend.accept(1);
      return upstream.valid();
    }));
    if (upstream.valid()) continue;  // the live endpoint came first: try again
    ASSERT_TRUE(socket.send_all("more"));
    EXPECT_TRUE(poll_until([&] { return silent.bytes_received() >= before + hello.size() + 4; }));
    upstream = backend.accept();
    ASSERT_TRUE(upstream.valid());
    std::vector<uint8_t> expected = hello;
    expected.insert(expected.end(), {'m', 'o', 'r', 'e'});
    EXPECT_EQ(read_hello(upstream, expected.size()), expected);
    return;
  }
  FAIL() << "the silent endpoint was never picked first";
}

// An endpoint that answers only once it has more than the hello is not
// stalled by the wait: the client's next bytes go on to it.
TEST_F(SilentEndpoint, AnEndpointThatWaitsForMoreThanTheHelloIsNotStalled) {
  Listener backend;
  config::Config config = test_config();
  config.timeouts.upstream_first_byte = std::chrono::seconds(3);
  ASSERT_NO_FATAL_FAILURE(start(config, {backend.port()}));
  const std::vector<uint8_t> hello = openssl_client_hello({.server_name = kSni, .alpn = {"istio"}});
  Socket socket = Socket::connect("127.0.0.1", app_->port(ListenerKind::kPassthrough));
  ASSERT_TRUE(socket.send_all(hello));
  Socket upstream = backend.accept();
  ASSERT_TRUE(upstream.valid());
  ASSERT_EQ(read_hello(upstream, hello.size()), hello);
  const Clock::time_point began = Clock::now();
  ASSERT_TRUE(socket.send_all("ping"));
  char ping[4];
  ASSERT_EQ(::recv(upstream.fd(), ping, sizeof ping, MSG_WAITALL), 4);
  ASSERT_TRUE(upstream.send_all("pong"));
  char pong[4];
  ASSERT_EQ(::recv(socket.fd(), pong, sizeof pong, MSG_WAITALL), 4);
  EXPECT_EQ(std::string(pong, 4), "pong");
  EXPECT_LT(Clock::now() - began, milliseconds(1000));  // not the 3 s bound
}

// With nothing else to try, the client is closed once every endpoint stayed
// silent: connect_failed, within the bound, not after the idle timeout.
TEST_F(SilentEndpoint, AloneItEndsTheConnectionAsConnectFailed) {
  SilentBackend silent;
  config::Config config = test_config();
  config.timeouts.upstream_first_byte = milliseconds(300);
  ASSERT_NO_FATAL_FAILURE(start(config, {silent.port()}));
  Socket socket = Socket::connect("127.0.0.1", app_->port(ListenerKind::kPassthrough));
  ASSERT_TRUE(socket.send_all(openssl_client_hello({.server_name = kSni, .alpn = {"istio"}})));
  expect_closed_at(socket, Clock::now(), milliseconds(300), "connect_failed");
}

// The client finished its side (FIN) and the endpoint never answers nor
// closes: the connection ends at timeouts.half_closed, not timeouts.idle.
TEST_F(SilentEndpoint, AHalfClosedConnectionEndsAtTheHalfClosedBound) {
  SilentBackend silent;
  config::Config config = test_config();
  config.timeouts.upstream_first_byte = milliseconds(0);  // reach the relay
  config.timeouts.half_closed = milliseconds(300);
  config.timeouts.idle = std::chrono::seconds(30);
  ASSERT_NO_FATAL_FAILURE(start(config, {silent.port()}));
  Socket socket = Socket::connect("127.0.0.1", app_->port(ListenerKind::kPassthrough));
  ASSERT_TRUE(socket.send_all(openssl_client_hello({.server_name = kSni, .alpn = {"istio"}})));
  ASSERT_TRUE(poll_until([&] { return silent.bytes_received() > 0; }));
  const Clock::time_point began = Clock::now();
  socket.shutdown_write();
  expect_closed_at(socket, began, milliseconds(300), "half_closed_timeout");
}

// A backend restart: the endpoint answers, then its process goes away and
// its kernel sends FIN. The gateway carries the FIN to the client, whose
// side then sits in FIN-WAIT-2 for as long as the client keeps its socket
// open without closing it. Those were the leftovers: the session waited for
// the client's direction until the idle timeout. Now it ends at the
// half-closed bound.
TEST_F(SilentEndpoint, AnEndpointThatClosesFirstLeavesNothingBehind) {
  Listener backend;
  config::Config config = test_config();
  config.timeouts.half_closed = milliseconds(300);
  config.timeouts.idle = std::chrono::seconds(30);
  ASSERT_NO_FATAL_FAILURE(start(config, {backend.port()}));
  Socket socket = Socket::connect("127.0.0.1", app_->port(ListenerKind::kPassthrough));
  const std::vector<uint8_t> hello = openssl_client_hello({.server_name = kSni, .alpn = {"istio"}});
  ASSERT_TRUE(socket.send_all(hello));
  {
    Socket upstream = backend.accept();
    ASSERT_TRUE(upstream.valid());
    ASSERT_EQ(read_hello(upstream, hello.size()), hello);
    ASSERT_TRUE(upstream.send_all("server bytes"));
  }  // the endpoint's process ends, having read everything: FIN, not RST
  EXPECT_EQ(socket.read_to_eof(), "server bytes");  // ...and EOF, carried across
  EXPECT_TRUE(poll_until([&] { return app_->app().gateway().open_connections() == 0; }));
  EXPECT_EQ(closed("half_closed_timeout"), 1);
}

// Keepalive: both of the gateway's sockets of a relayed connection run the
// keepalive timer (`ss -o` shows it), so a peer that vanished without a FIN
// or RST is found. The client side inherits it from the listener.
TEST_F(SilentEndpoint, BothSocketsOfARelayedConnectionKeepAlive) {
  Listener backend;
  config::Config config = test_config();
  config.timeouts.upstream_first_byte = milliseconds(0);
  ASSERT_NO_FATAL_FAILURE(start(config, {backend.port()}));
  const uint16_t port = app_->port(ListenerKind::kPassthrough);
  Socket socket = Socket::connect("127.0.0.1", port);
  ASSERT_TRUE(socket.send_all(openssl_client_hello({.server_name = kSni, .alpn = {"istio"}})));
  Socket upstream = backend.accept();
  ASSERT_TRUE(upstream.valid());
  const std::string command = "ss -tnoH state established '( sport = :" + std::to_string(port) +
                              " or dport = :" + std::to_string(backend.port()) + " )'";
  std::string out;
  ASSERT_TRUE(poll_until([&] {
    out.clear();
    FILE* ss = ::popen(command.c_str(), "r");
    if (ss == nullptr) return false;
    char line[512];
    while (std::fgets(line, sizeof line, ss) != nullptr)
      out += line;
    ::pclose(ss);
    return !out.empty();
  }));
  // One line per gateway socket (the test's own two match neither filter).
  int lines = 0;
  int keepalive = 0;
  for (std::size_t at = 0; at < out.size(); at = out.find('\n', at) + 1) {
    const std::string line = out.substr(at, out.find('\n', at) - at);
    ++lines;
    if (line.find("timer:(keepalive,") != std::string::npos) ++keepalive;
    if (out.find('\n', at) == std::string::npos) break;
  }
  EXPECT_EQ(lines, 2) << out;
  EXPECT_EQ(keepalive, 2) << out;
}

}  // namespace
}  // namespace meshgate::testing
