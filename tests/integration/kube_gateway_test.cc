// The whole gateway with discovery.kubernetes: readiness waits for the first
// sync, and a real TLS connection on 15443 reaches an endpoint that exists
// only because the stand-in API server announced it.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <sstream>

#include "tests/integration/kube_gateway_fixture.h"
#include "tests/support/dns_client.h"
#include "tests/support/tls_client.h"

namespace meshgate::testing {
namespace {

namespace k = kube;
using app::HttpPort;
using gateway::ListenerKind;

TEST_F(KubeGateway, RoutesATlsConnectionToAnEndpointTheApiServerAnnounced) {
  announce_backend();
  AppUnderTest app(config());
  ASSERT_TRUE(poll_until([&] { return app.get(HttpPort::kHealth, "/healthz/ready").status == 200; },
                         std::chrono::seconds(10)));
  // Ready means every worker routes with the first sync: the very first
  // connection gets through.
  EXPECT_NE(get_through(app).find("hello from v1"), std::string::npos);
  EXPECT_EQ(app.metric("meshgate_kubernetes_synced"), 1);
  EXPECT_EQ(app.metric(R"(meshgate_kubernetes_resource_up{resource="endpointslices"})"), 1);
}

TEST_F(KubeGateway, NotReadyUntilTheFirstSync) {
  announce_backend();
  f_.api().set_error(k::kEndpointSlices, 500);
  AppUnderTest app(config());
  ASSERT_TRUE(poll_until([&] {
    return app.metric(R"(meshgate_kubernetes_list_failures_total{resource="endpointslices"})") >= 1;
  }));
  EXPECT_EQ(app.get(HttpPort::kHealth, "/healthz/ready").status, 503);
  EXPECT_EQ(app.metric("meshgate_kubernetes_synced"), 0);
  f_.api().set_error(k::kEndpointSlices, 0);
  EXPECT_TRUE(poll_until([&] { return app.get(HttpPort::kHealth, "/healthz/ready").status == 200; },
                         std::chrono::seconds(10)));
  EXPECT_NE(get_through(app).find("hello from v1"), std::string::npos);
}

TEST_F(KubeGateway, EndpointOnAnotherNetworkIsNeverDialed) {
  announce_backend("network2");
  AppUnderTest app(config());
  ASSERT_TRUE(poll_until([&] { return app.get(HttpPort::kHealth, "/healthz/ready").status == 200; },
                         std::chrono::seconds(10)));
  // The route exists from the first connection on, with no endpoint to dial.
  EXPECT_EQ(get_through(app).find("hello from v1"), std::string::npos);
  EXPECT_TRUE(poll_until([&] {
    return app.metric(
               R"(meshgate_connections_closed_total{listener="passthrough",reason="no_endpoint"})") ==
           1;
  }));
  // The pod moves to this network (its label changes): routable.
  f_.apply_pod("httpbin-v1-5d7f9c-abcde", "v1", "127.0.0.1", "network1");
  EXPECT_TRUE(routes_to_backend(app));
}

// A ServiceEntry for a .global host, as users write them for the other
// side of a multi-network mesh: its address is what the gateway's DNS says.
TEST_F(KubeGateway, ServiceEntryGlobalHostIsAnsweredByDns) {
  announce_backend();
  AppUnderTest app(config());
  ASSERT_TRUE(poll_until([&] { return app.get(HttpPort::kHealth, "/healthz/ready").status == 200; },
                         std::chrono::seconds(10)));
  const uint16_t port = app.app().dns_server()->udp_endpoint().port();
  auto answer = [&](const std::string& name) -> std::string {
    const auto reply = udp_exchange(port, dns_query(name, dns::rrtype::kA));
    if (!reply) return "no reply";
    const dns::Message message = parse_reply(*reply);
    if (message.answers.empty()) return "no answer";
    const auto* data = std::get_if<dns::AData>(&message.answers[0].data);
    if (data == nullptr) return "not an A record";
    const auto& a = data->address;
    return std::to_string(a[0]) + "." + std::to_string(a[1]) + "." + std::to_string(a[2]) + "." +
           std::to_string(a[3]);
  };
  EXPECT_EQ(answer("reviews.foo.global"), "no answer");
  f_.api().apply(k::kServiceEntries,
                 k::service_entry_json("foo", "reviews-global", {"reviews.foo.global"},
                                       {"240.0.0.10"}, {{9080, "http", "HTTP"}}));
  EXPECT_TRUE(poll_until([&] { return answer("reviews.foo.global") == "240.0.0.10"; },
                         std::chrono::seconds(10)))
      << answer("reviews.foo.global");
}

// 15012 relays to istiod as the cluster runs it: the istiod Service's
// EndpointSlice (istiod has no sidecar, so no mTLS label is needed).
TEST_F(KubeGateway, IstiodUpstreamComesFromTheIstiodService) {
  f_.api().apply(k::kNamespaces, k::namespace_json("istio-system"));
  f_.api().apply(k::kServices, k::service_json("istio-system", "istiod", {{"app", "istiod"}},
                                               {{"grpc-xds", 15012, "15012", "TCP"},
                                                {"https-webhook", 443, "15017", "TCP"}}));
  f_.api().apply(
      k::kEndpointSlices,
      k::endpoint_slice_json("istio-system", "istiod-q8w2n", "istiod", {{"127.0.0.1", ""}},
                             {{"grpc-xds", backend_}, {"https-webhook", backend_}}));
  config::Config config = this->config();
  config.istiod.xds = {"istiod.istio-system.svc", 15012};
  AppUnderTest app(config);
  ASSERT_TRUE(poll_until([&] { return app.get(HttpPort::kHealth, "/healthz/ready").status == 200; },
                         std::chrono::seconds(10)));
  // Only the registry knows this backend's port: DNS (tried while the
  // source syncs) could only give istiod.istio-system.svc:15012.
  TlsClientOptions options;
  options.sni = "istiod.istio-system.svc";
  options.ca_pem = f_.pki().ca.cert_pem;
  options.verify_host = "httpbin.bar.svc.cluster.local";  // the test backend's certificate
  EXPECT_TRUE(poll_until(
      [&] {
        TlsClient tls(app.port(ListenerKind::kIstiod), options);
        return tls.handshake_ok() && tls.http_get().find("hello from v1") != std::string::npos;
      },
      std::chrono::seconds(10)));
}

TEST_F(KubeGateway, ReloadTurnsKubernetesDiscoveryOffAndOn) {
  announce_backend();
  dir_.write("kubeconfig", f_.kubeconfig_yaml());
  const std::string kube = "  kubernetes: {enabled: true, kubeconfig: kubeconfig}\n";
  auto app = AppUnderTest::from_file(config_file(kube));
  ASSERT_TRUE(routes_to_backend(*app));
  // Off: the cluster's services leave the registry; the (empty) file stays.
  config_file("  files: [{path: " + dir_.write("registry.yaml", "services: []\n") + "}]\n");
  app->app().reload();
  ASSERT_TRUE(
      poll_until([&] { return get_through(*app).find("hello from v1") == std::string::npos; },
                 std::chrono::seconds(10)));
  EXPECT_TRUE(poll_until(
      [&] { return app->scrape().find("meshgate_kubernetes_synced") == std::string::npos; }));
  // On again: a new source lists the cluster from scratch.
  config_file(kube);
  app->app().reload();
  EXPECT_TRUE(routes_to_backend(*app));
}

// Every line the default logger writes, at every level, while alive.
class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(stream_)) {
    spdlog::default_logger()->sinks().push_back(sink_);
    spdlog::set_level(spdlog::level::trace);
  }
  ~LogCapture() {
    std::erase(spdlog::default_logger()->sinks(), sink_);
    spdlog::set_level(level_);
  }
  // Only once the threads that log have stopped.
  std::string text() const { return stream_.str(); }

 private:
  spdlog::level::level_enum level_ = spdlog::get_level();
  std::ostringstream stream_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

// The service account's token (the fixture's kubeconfig carries
// "test-token") goes only into the Authorization header: no log line at
// any level and no page of the health, metrics or admin ports shows it,
// neither while it works nor once the API server refuses it.
TEST_F(KubeGateway, TheTokenReachesNoLogLineAndNoPage) {
  constexpr const char* kToken = "test-token";
  LogCapture logs;
  announce_backend();
  std::string pages;
  {
    AppUnderTest app(config());
    ASSERT_TRUE(
        poll_until([&] { return app.get(HttpPort::kHealth, "/healthz/ready").status == 200; },
                   std::chrono::seconds(10)));
    f_.api().set_token("rotated-elsewhere");
    f_.api().drop_connections();
    // The gateway comes back with the old token and is refused (the error path logs).
    ASSERT_TRUE(poll_until(
        [&] {
          const std::vector<KubeApiRequest> requests = f_.api().requests();
          return std::any_of(requests.begin(), requests.end(), [](const KubeApiRequest& r) {
            return r.status == 401 && r.authorization == "Bearer test-token";
          });
        },
        std::chrono::seconds(10)));
    for (const auto& [port, target] :
         std::vector<std::pair<HttpPort, std::string>>{{HttpPort::kHealth, "/healthz/ready"},
                                                       {HttpPort::kMetrics, "/stats/prometheus"},
                                                       {HttpPort::kAdmin, "/"},
                                                       {HttpPort::kAdmin, "/config_dump"},
                                                       {HttpPort::kAdmin, "/clusters"},
                                                       {HttpPort::kAdmin, "/ready"}}) {
      const HttpResult page = app.get(port, target);
      EXPECT_EQ(page.status, 200) << target;
      pages += page.body;
    }
    app.app().stop_now();
    ASSERT_TRUE(app.wait_exited());
  }
  EXPECT_NE(pages.find("kubernetes"), std::string::npos);  // the pages were read
  EXPECT_EQ(pages.find(kToken), std::string::npos);
  const std::string text = logs.text();
  EXPECT_NE(text.find("kubernetes"), std::string::npos);  // the logs were captured
  EXPECT_EQ(text.find(kToken), std::string::npos) << text;
}

}  // namespace
}  // namespace meshgate::testing
