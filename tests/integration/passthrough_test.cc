// The 15443 path end to end on loopback: real sockets, real TLS (OpenSSL on
// both ends), the gateway in between never terminating it.
#include <gtest/gtest.h>

#include "tests/support/harness.h"
#include "tests/support/tls_client.h"

namespace meshgate::testing {
namespace {

using gateway::CloseReason;

constexpr const char* kSni = "outbound_.8000_._.httpbin.bar.svc.cluster.local";
constexpr const char* kHost = "httpbin.bar.svc.cluster.local";

class Passthrough : public ::testing::Test {
 protected:
  uint16_t add_backend(const std::string& name, bool require_client_cert = false) {
    return backends_.add(
        {name, pki_.server.cert_pem, pki_.server.key_pem, pki_.ca.cert_pem, require_client_cert});
  }

  TlsClientOptions client(std::string sni = kSni) const {
    TlsClientOptions options;
    options.sni = std::move(sni);
    options.alpn = {"istio-peer-exchange", "istio"};
    options.ca_pem = pki_.ca.cert_pem;
    options.verify_host = kHost;
    return options;
  }

  std::string get(const TlsClientOptions& options) {
    TlsClient tls(gateway_.port(), options);
    EXPECT_TRUE(tls.handshake_ok()) << tls.error();
    return tls.http_get();
  }

  TestPki pki_;
  Backends backends_;
  GatewayUnderTest gateway_;
};

TEST_F(Passthrough, HandshakeVerifiesTheBackendCertificate) {
  const uint16_t v1 = add_backend("v1");
  backends_.start();
  gateway_.set_services({httpbin_service({local_endpoint(v1, "v1")})});

  TlsClient tls(gateway_.port(), client());
  ASSERT_TRUE(tls.handshake_ok()) << tls.error();
  EXPECT_EQ(tls.alpn(), "istio-peer-exchange");  // negotiated with the backend itself
  EXPECT_NE(tls.http_get().find("hello from v1"), std::string::npos);
  EXPECT_EQ(backends_.at(0).handshakes(), 1u);
}

TEST_F(Passthrough, ClientCertificateMtlsPassesThrough) {
  const uint16_t strict = add_backend("strict", /*require_client_cert=*/true);
  backends_.start();
  gateway_.set_services({httpbin_service({local_endpoint(strict, "v1")})});

  TlsClientOptions with_cert = client();
  with_cert.cert_pem = pki_.client.cert_pem;
  with_cert.key_pem = pki_.client.key_pem;
  EXPECT_NE(get(with_cert).find("client certificate: vm-client.test"), std::string::npos);

  // Without one the backend, not the gateway, refuses: the TLS 1.3 client
  // finishes its side, then the backend's alert arrives on read.
  TlsClient anonymous(gateway_.port(), client());
  EXPECT_TRUE(anonymous.handshake_ok()) << anonymous.error();
  EXPECT_EQ(anonymous.http_get().find("hello"), std::string::npos);
  EXPECT_EQ(backends_.at(0).handshakes(), 1u);  // only the one with a certificate
}

TEST_F(Passthrough, SubsetReachesOnlyItsEndpoints) {
  const uint16_t v1 = add_backend("v1");
  const uint16_t v2 = add_backend("v2");
  backends_.start();
  gateway_.set_services({httpbin_service({local_endpoint(v1, "v1"), local_endpoint(v2, "v2")})});

  for (int i = 0; i < 6; ++i) {
    EXPECT_NE(
        get(client("outbound_.8000_.v2_.httpbin.bar.svc.cluster.local")).find("hello from v2"),
        std::string::npos);
  }
  EXPECT_EQ(backends_.at(0).handshakes(), 0u);
  // Without a subset both take turns. Each worker balances on its own, and of
  // four connections over two workers one worker sees at least two: v1 then v2.
  for (int i = 0; i < 4; ++i)
    get(client());
  EXPECT_GE(backends_.at(0).handshakes(), 1u);
  EXPECT_GE(backends_.at(1).handshakes(), 7u);
}

TEST_F(Passthrough, GlobalNameReachesTheClusterLocalService) {
  const uint16_t v1 = add_backend("v1");
  backends_.start();
  gateway_.set_services({httpbin_service({local_endpoint(v1, "v1")})});
  EXPECT_NE(get(client("outbound_.8000_._.httpbin.bar.global")).find("hello from v1"),
            std::string::npos);
}

TEST_F(Passthrough, ClientHelloSentOneByteAtATimeIsRouted) {
  const uint16_t v1 = add_backend("v1");
  backends_.start();
  gateway_.set_services({httpbin_service({local_endpoint(v1, "v1")})});

  TlsClientOptions options = client();
  options.trickle = 1;
  TlsClient tls(gateway_.port(), options);
  ASSERT_TRUE(tls.handshake_ok()) << tls.error();
  EXPECT_NE(tls.http_get().find("hello from v1"), std::string::npos);
}

TEST_F(Passthrough, DeadEndpointIsSkippedForALiveOne) {
  const uint16_t live = add_backend("live");
  backends_.start();
  gateway_.set_services(
      {httpbin_service({local_endpoint(dead_port(), "v1"), local_endpoint(live, "v1")})});
  for (int i = 0; i < 4; ++i) {
    EXPECT_NE(get(client()).find("hello from live"), std::string::npos);
  }
  EXPECT_GE(gateway_.stats().connect_failures, 1u);
  EXPECT_EQ(gateway_.closed(CloseReason::kConnectFailed), 0u);
}

TEST_F(Passthrough, AllEndpointsDeadIsConnectFailed) {
  gateway_.set_services({httpbin_service({local_endpoint(dead_port(), "v1")})});
  TlsClient tls(gateway_.port(), client());
  EXPECT_FALSE(tls.handshake_ok());
  EXPECT_TRUE(gateway_.eventually(
      [](const auto& s) { return s.closed_by(CloseReason::kConnectFailed) == 1; }));
}

TEST_F(Passthrough, RegistryChangeReroutesNewConnectionsOnly) {
  const uint16_t v1 = add_backend("v1");
  const uint16_t v2 = add_backend("v2");
  backends_.start();
  gateway_.set_services({httpbin_service({local_endpoint(v1, "v1")})});

  TlsClient open(gateway_.port(), client());
  ASSERT_TRUE(open.handshake_ok()) << open.error();
  ASSERT_TRUE(open.write("ping-1"));
  EXPECT_EQ(open.read(6), "ping-1");

  gateway_.set_services({httpbin_service({local_endpoint(v2, "v2")})});
  EXPECT_NE(get(client()).find("hello from v2"), std::string::npos);

  ASSERT_TRUE(open.write("ping-2"));  // the open connection still reaches v1
  EXPECT_EQ(open.read(6), "ping-2");
  EXPECT_EQ(backends_.at(0).handshakes(), 1u);
}

struct Refused {
  const char* name;
  std::string sni;
  std::vector<std::string> alpn;
  CloseReason reason;
};

class RefusedClients : public Passthrough, public ::testing::WithParamInterface<Refused> {};

TEST_P(RefusedClients, AreClosedAndCounted) {
  const uint16_t v1 = add_backend("v1");
  backends_.start();
  gateway_.set_services({httpbin_service({local_endpoint(v1, "v1")})});
  TlsClientOptions options = client(GetParam().sni);
  options.alpn = GetParam().alpn;
  TlsClient tls(gateway_.port(), options);
  EXPECT_FALSE(tls.handshake_ok());
  EXPECT_TRUE(
      gateway_.eventually([&](const auto& s) { return s.closed_by(GetParam().reason) == 1; }));
  EXPECT_EQ(backends_.at(0).handshakes(), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Passthrough, RefusedClients,
    ::testing::Values(Refused{"UnknownService",
                              "outbound_.8000_._.nope.bar.svc.cluster.local",
                              {"istio"},
                              CloseReason::kUnknownService},
                      Refused{"UnknownPort",
                              "outbound_.9999_._.httpbin.bar.svc.cluster.local",
                              {"istio"},
                              CloseReason::kUnknownService},
                      Refused{"NoSni", "", {"istio"}, CloseReason::kNoSni},
                      Refused{"IpAddressSni", "127.0.0.1", {"istio"}, CloseReason::kUnknownService},
                      Refused{"BadSni",
                              "outbound_.0_._.httpbin.bar.svc.cluster.local",
                              {"istio"},
                              CloseReason::kBadSni},
                      Refused{"NoAlpn", kSni, {}, CloseReason::kAlpnMissing},
                      Refused{"NonIstioAlpn", kSni, {"h2", "http/1.1"}, CloseReason::kAlpnMissing}),
    [](const auto& param_info) { return param_info.param.name; });

// Never an open proxy (Istio's CVE-2021-31921 was an any-SNI gateway): an
// address written into the SNI, in any of its shapes and naming the very
// port a backend listens on, is a name the registry does not have.
TEST_F(Passthrough, AnAddressInTheSniIsNeverDialed) {
  const uint16_t v1 = add_backend("v1");
  backends_.start();
  gateway_.set_services({httpbin_service({local_endpoint(v1, "v1")})});
  const std::string port = std::to_string(v1);
  const std::vector<std::string> names = {"127.0.0.1",
                                          "outbound_." + port + "_._.127.0.0.1",
                                          "outbound_." + port + "_._.localhost",
                                          "outbound_." + port + "_._.::1",
                                          "127.0.0.1.global",
                                          "outbound_." + port + "_._.2130706433"};
  uint64_t refused = 0;
  for (const std::string& sni : names) {
    TlsClient tls(gateway_.port(), client(sni));
    EXPECT_FALSE(tls.handshake_ok()) << sni;
    ++refused;
    EXPECT_TRUE(gateway_.eventually([&](const auto& s) {
      return s.closed_by(CloseReason::kUnknownService) + s.closed_by(CloseReason::kBadSni) ==
             refused;
    })) << sni;
  }
  EXPECT_EQ(backends_.at(0).handshakes(), 0u);
  EXPECT_EQ(gateway_.stats().connect_attempts, 0u);
}

TEST_F(Passthrough, PlainHttpIsClosed) {
  Socket plain = Socket::connect("127.0.0.1", gateway_.port());
  ASSERT_TRUE(plain.send_all("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_TRUE(plain.wait_closed());
  EXPECT_TRUE(
      gateway_.eventually([](const auto& s) { return s.closed_by(CloseReason::kNotTls) == 1; }));
}

}  // namespace
}  // namespace meshgate::testing
